export {
  type ComputeRewardsInput,
  type ComputeRewardsOutput,
  computeRewards,
  type DeviceScore,
  type ModuleScores,
  type RewardDetail,
  type RewardLine,
} from './computeRewards.ts';
export {
  RewardDuplicateDeviceError,
  RewardDuplicateModuleError,
  RewardInputInvalidError,
  RewardOutputInvalidError,
  RewardTreeAccountNotFoundError,
  RewardTreeDuplicateAccountError,
  RewardTreeInvalidEntryError,
} from './errors.ts';
export {
  buildRewardTree,
  EMPTY_REWARD_ROOT,
  type RewardTree,
  type RewardTreeEntry,
  rewardLeafHash,
  verifyRewardProof,
} from './merkle.ts';
export {
  parseRewardOutput,
  type SerializedRewardLine,
  type SerializedRewardOutput,
  serializeRewardOutput,
} from './serializeRewardOutput.ts';
