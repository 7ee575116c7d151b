/** Standard collection names (`tf.GraphKeys`), with TensorFlow's string values. */
export const GraphKeys = {
  GLOBAL_VARIABLES: 'variables',
  LOCAL_VARIABLES: 'local_variables',
  TRAINABLE_VARIABLES: 'trainable_variables',
  GLOBAL_STEP: 'global_step',
  QUEUE_RUNNERS: 'queue_runners',
  SAVERS: 'savers',
  SAVEABLE_OBJECTS: 'saveable_objects',
  SUMMARIES: 'summaries',
  INIT_OP: 'init_op',
  LOCAL_INIT_OP: 'local_init_op',
  READY_OP: 'ready_op',
  READY_FOR_LOCAL_INIT_OP: 'ready_for_local_init_op',
  SUMMARY_OP: 'summary_op',
} as const;

/** One of the values of {@link GraphKeys}. */
export type GraphKey = (typeof GraphKeys)[keyof typeof GraphKeys];
