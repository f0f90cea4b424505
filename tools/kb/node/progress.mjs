// What a gate worker tells its parent through shared memory (an Int32Array), without a
// message: which request it is rendering, so a page that never finishes can be named.

/** Incremented when the worker starts a request. */
export const PROGRESS_SEQ = 0;
/** The id of the request started last. */
export const PROGRESS_ID = 1;
/** 1 while the worker renders that request, 0 between requests. */
export const PROGRESS_BUSY = 2;
export const PROGRESS_SLOTS = 3;
