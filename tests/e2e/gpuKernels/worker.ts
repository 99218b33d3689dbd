import { runCheck } from './check';

void runCheck('worker').then((result) => postMessage(result));
