// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRewardsDistributor} from "../../src/interfaces/IRewardsDistributor.sol";
import {Merkle} from "../utils/Merkle.sol";
import {RewardsFixture} from "../utils/RewardsFixture.sol";
import {Gas} from "./Gas.sol";

/// @notice Gas of the distributor paths that grow with the network. Each scenario prepares its state in `setUp`
///         (a transaction of its own, so storage "original values" are what a real transaction would see) and the
///         test measures one call against cooled accounts. The logged "tx" figure is 21,000 + calldata (4/16 gas per
///         zero/non-zero byte) + execution, without the test's own cold-call charge. Run with `-vv` to see it;
///         each test also prints a `GAS <key> <value>` line (`Gas.log`) that `bench/gas.ts` collects.
abstract contract RewardsGasBase is RewardsFixture {
    uint256 internal constant BENEFICIARIES = 100;
    uint256 internal constant LEAVES = 128; // 100 beneficiaries + 28 others: a full tree, every proof 7 long
    uint256 internal constant SUBTREE_DEPTH = 7;

    address[] internal accounts;
    address[] internal who;
    uint256[] internal amounts;
    bytes32[][] internal proofs;
    uint256 internal depth = SUBTREE_DEPTH;

    function _setUpAccounts() internal {
        for (uint256 i; i < LEAVES; ++i) {
            accounts.push(vm.addr(0x100000 + i));
        }
    }

    function _allAmounts(uint256 base) internal pure returns (uint256[] memory all) {
        all = new uint256[](LEAVES);
        for (uint256 i; i < LEAVES; ++i) {
            all[i] = base + i * 1e15;
        }
    }

    function _sum(uint256[] memory values) internal pure returns (uint256 total) {
        for (uint256 i; i < values.length; ++i) {
            total += values[i];
        }
    }

    /// @dev Submits the 128-leaf tree and keeps the first 100 entries with their proofs in storage.
    function _round(uint256 base) internal {
        uint256[] memory all = _allAmounts(base);
        bytes32[] memory leaves = Merkle.leaves(accounts, all);
        bytes32 root = Merkle.root(leaves);
        // Deeper trees: the 128 leaves are one subtree of a 2^depth-leaf tree, whose path to the root is the same
        // `depth - 7` arbitrary siblings for all of them (only a root consistent with the proofs matters).
        bytes32[] memory upper = Gas.siblings(keccak256(abi.encode("upper", base)), depth - SUBTREE_DEPTH);
        _submit(Gas.fold(root, upper), _sum(all));
        delete who;
        delete amounts;
        delete proofs;
        for (uint256 i; i < BENEFICIARIES; ++i) {
            who.push(accounts[i]);
            amounts.push(all[i]);
            proofs.push(Gas.concat(Merkle.proof(leaves, i), upper));
        }
    }

    /// @dev Gas of one call to the distributor against cold accounts, as a transaction.
    function _measure(bytes memory data) internal returns (uint256) {
        vm.cool(address(distributor));
        vm.cool(address(token));
        vm.cool(address(schedule));
        return Gas.transaction(address(distributor), data);
    }

    function _measureClaimMany() internal returns (uint256) {
        assertEq(proofs[0].length, depth, "proof depth");
        return _measure(abi.encodeCall(IRewardsDistributor.claimMany, (who, amounts, proofs)));
    }

    function _measureClaim(uint256 index) internal returns (uint256) {
        assertEq(proofs[index].length, depth, "proof depth");
        return _measure(abi.encodeCall(IRewardsDistributor.claim, (who[index], amounts[index], proofs[index])));
    }

    function _measureSubmit(uint256 signers) internal returns (uint256) {
        uint256 epoch = distributor.lastEpoch() + 1;
        bytes32 root = keccak256(abi.encode("root", epoch));
        uint256 total = distributor.currentTotal() + 500e18;
        bytes32 bundleHash = keccak256(abi.encode("bundle", epoch));
        bytes[] memory signatures = _sign(_oracleKeys(signers), epoch, root, total, bundleHash);
        return _measure(abi.encodeCall(IRewardsDistributor.submitRoot, (epoch, root, total, bundleHash, signatures)));
    }
}

/// @notice 100 beneficiaries who claimed before (so they hold tokens), depth-7 proofs.
contract ClaimManyRepeatClaimersGasTest is RewardsGasBase {
    function setUp() public {
        _deployRewards(3, 2);
        _setUpAccounts();
        _round(1e18);
        distributor.claimMany(who, amounts, proofs);
        _round(2e18);
    }

    function test_gas_claimMany_hundredRepeatClaimersAtDepthSeven() public {
        uint256 transaction = _measureClaimMany();
        _log("claimMany, 100 repeat claimers, depth 7: tx per beneficiary", transaction / BENEFICIARIES);
        Gas.log("claimManyPerBeneficiary", transaction / BENEFICIARIES);
        assertEq(token.balanceOf(who[99]), amounts[99]);
        assertLt(transaction / BENEFICIARIES, 35_000, "per-beneficiary target");
    }
}

/// @notice 100 beneficiaries claiming for the first time who already hold tokens, depth-7 proofs.
contract ClaimManyFirstClaimsByHoldersGasTest is RewardsGasBase {
    function setUp() public {
        _deployRewards(3, 2);
        _setUpAccounts();
        _round(1e18);
        uint256[] memory all = _allAmounts(1e18);
        distributor.claim(accounts[127], all[127], Merkle.proof(Merkle.leaves(accounts, all), 127));
        vm.startPrank(accounts[127]);
        for (uint256 i; i < BENEFICIARIES; ++i) {
            assertTrue(token.transfer(who[i], 1), "transfer");
        }
        vm.stopPrank();
    }

    function test_gas_claimMany_hundredFirstClaimsByHoldersAtDepthSeven() public {
        uint256 transaction = _measureClaimMany();
        _log("claimMany, 100 first claims by holders, depth 7: tx per beneficiary", transaction / BENEFICIARIES);
        Gas.log("claimManyFirstClaimsByHoldersPerBeneficiary", transaction / BENEFICIARIES);
        assertEq(token.balanceOf(who[0]), amounts[0] + 1);
    }
}

/// @notice 100 beneficiaries claiming for the first time who hold no tokens yet, depth-7 proofs.
contract ClaimManyFirstClaimsByNewHoldersGasTest is RewardsGasBase {
    function setUp() public {
        _deployRewards(3, 2);
        _setUpAccounts();
        _round(1e18);
    }

    function test_gas_claimMany_hundredFirstClaimsByNewHoldersAtDepthSeven() public {
        uint256 transaction = _measureClaimMany();
        _log("claimMany, 100 first claims by new holders, depth 7: tx per beneficiary", transaction / BENEFICIARIES);
        Gas.log("claimManyFirstClaimsByNewHoldersPerBeneficiary", transaction / BENEFICIARIES);
        assertEq(distributor.totalClaimed(), _sum(amounts));
    }
}

/// @notice One claim at depth 7: by a repeat claimer, and a first claim by a new holder.
contract ClaimGasTest is RewardsGasBase {
    function setUp() public {
        _deployRewards(3, 2);
        _setUpAccounts();
        _round(1e18);
        distributor.claim(who[5], amounts[5], proofs[5]);
        _round(2e18);
    }

    function test_gas_claim_repeatClaimerAtDepthSeven() public {
        uint256 transaction = _measureClaim(5);
        _log("claim, repeat claimer, depth 7: tx", transaction);
        Gas.log("claimDepth7", transaction);
        assertEq(token.balanceOf(who[5]), amounts[5]);
    }

    function test_gas_claim_firstClaimByNewHolderAtDepthSeven() public {
        uint256 transaction = _measureClaim(6);
        _log("claim, first claim by a new holder, depth 7: tx", transaction);
        Gas.log("claimFirstByNewHolderDepth7", transaction);
        assertEq(token.balanceOf(who[6]), amounts[6]);
    }
}

/// @notice submitRoot with 2 of 3 oracles: the first epoch (first mint into the distributor) and a later one.
contract SubmitRootTwoOfThreeGasTest is RewardsGasBase {
    function setUp() public {
        _deployRewards(3, 2);
    }

    function test_gas_submitRoot_twoOfThreeFirstEpoch() public {
        uint256 transaction = _measureSubmit(2);
        _log("submitRoot 2-of-3, first epoch: tx", transaction);
        Gas.log("submitRoot2of3FirstEpoch", transaction);
        assertEq(distributor.lastEpoch(), 1);
    }
}

contract SubmitRootTwoOfThreeLaterGasTest is RewardsGasBase {
    function setUp() public {
        _deployRewards(3, 2);
        _submit(keccak256("first"), 100e18);
        vm.roll(block.number + 1);
    }

    function test_gas_submitRoot_twoOfThreeLaterEpoch() public {
        uint256 transaction = _measureSubmit(2);
        _log("submitRoot 2-of-3, later epoch: tx", transaction);
        Gas.log("submitRoot2of3", transaction);
        assertEq(distributor.lastEpoch(), 2);
    }
}

/// @notice submitRoot with 3 of 5 oracles, a later epoch.
contract SubmitRootThreeOfFiveLaterGasTest is RewardsGasBase {
    function setUp() public {
        _deployRewards(5, 3);
        _submit(keccak256("first"), 100e18);
        vm.roll(block.number + 1);
    }

    function test_gas_submitRoot_threeOfFiveLaterEpoch() public {
        uint256 transaction = _measureSubmit(3);
        _log("submitRoot 3-of-5, later epoch: tx", transaction);
        Gas.log("submitRoot3of5", transaction);
        assertEq(distributor.lastEpoch(), 2);
    }
}

/// @notice The repeat-claimer batch again, at depth 20: the 128 leaves are one subtree of a 2^20-leaf tree.
contract ClaimManyRepeatClaimersDepthTwentyGasTest is RewardsGasBase {
    function setUp() public {
        depth = 20;
        _deployRewards(3, 2);
        _setUpAccounts();
        _round(1e18);
        distributor.claimMany(who, amounts, proofs);
        _round(2e18);
    }

    function test_gas_claimMany_hundredRepeatClaimersAtDepthTwenty() public {
        uint256 transaction = _measureClaimMany();
        _log("claimMany, 100 repeat claimers, depth 20: tx per beneficiary", transaction / BENEFICIARIES);
        Gas.log("claimManyPerBeneficiaryDepth20", transaction / BENEFICIARIES);
        assertEq(token.balanceOf(who[99]), amounts[99]);
    }
}

/// @notice One claim at depth 20 by a repeat claimer (who holds tokens from the first claim). A tree of 2^20 leaves
///         is too big to build here, so each round's proof is the beneficiary's leaf plus 20 arbitrary siblings,
///         and the submitted root is what they fold up to. `PlainMerkleClaimGasTest` measures the textbook claim on
///         the same calldata.
contract ClaimDepthTwentyGasTest is RewardsGasBase {
    address internal beneficiary = vm.addr(0xBE7E);
    bytes32[] internal path;

    function setUp() public {
        _deployRewards(3, 2);
        _deepRound(1e18, 500e18);
        distributor.claim(beneficiary, 1e18, path);
        _deepRound(2.5e18, 900e18);
    }

    function _deepRound(uint256 cumulativeAmount, uint256 total) internal {
        path = Gas.siblings(keccak256(abi.encode("depth20", cumulativeAmount)), 20);
        _submit(Gas.fold(Merkle.leaf(beneficiary, cumulativeAmount), path), total);
    }

    function test_gas_claim_repeatClaimerAtDepthTwenty() public {
        assertEq(path.length, 20, "proof depth");
        uint256 transaction = _measure(abi.encodeCall(IRewardsDistributor.claim, (beneficiary, 2.5e18, path)));
        _log("claim, repeat claimer, depth 20: tx", transaction);
        Gas.log("claimDepth20", transaction);
        assertEq(token.balanceOf(beneficiary), 2.5e18);
    }
}
