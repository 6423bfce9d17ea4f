// @dalston/core/contract: the published contract suite. One function per port, one for whole-engine flows.
export * from './fixture.js';
export * from './work-queue.js';
