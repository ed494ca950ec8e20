export { redisAnswers, waitForRedis, ensureDefaultRedis } from './global-setup.js';
