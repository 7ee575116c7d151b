import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { irisData } from '../../src/cli/iris.ts';
import { IRIS_CLASSES, IRIS_ROWS } from '../../src/cli/irisData.ts';

describe('the vendored Iris data', () => {
  it('has the 150 flowers, 50 per species, with the known column sums', () => {
    assert.equal(IRIS_ROWS.length, 150);
    assert.deepEqual(IRIS_CLASSES, ['setosa', 'versicolor', 'virginica']);
    assert.deepEqual(
      [0, 1, 2].map((c) => IRIS_ROWS.filter((r) => r[4] === c).length),
      [50, 50, 50],
    );
    const sums = [0, 1, 2, 3].map((f) => IRIS_ROWS.reduce((a, r) => a + r[f]!, 0).toFixed(1));
    assert.deepEqual(sums, ['876.5', '458.6', '563.7', '179.9']);
    assert.deepEqual(IRIS_ROWS[0], [5.1, 3.5, 1.4, 0.2, 0]);
    assert.deepEqual(IRIS_ROWS[149], [5.9, 3, 5.1, 1.8, 2]);
  });

  it('irisData standardizes each feature to mean 0 and standard deviation 1', () => {
    const { xs, ys } = irisData();
    assert.equal(ys.length, 150);
    for (let f = 0; f < 4; f++) {
      const col = Array.from({ length: 150 }, (_, i) => xs[i * 4 + f]!);
      const mean = col.reduce((a, v) => a + v, 0) / 150;
      const sd = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / 150);
      assert.ok(Math.abs(mean) < 1e-5 && Math.abs(sd - 1) < 1e-5, `feature ${f}: mean ${mean}, sd ${sd}`);
    }
  });
});
