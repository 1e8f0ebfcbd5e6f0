// Bootstrap of the inputs-digest worker thread: registers tsx's TypeScript
// loader in this thread, then loads the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./digestWorker.ts');
