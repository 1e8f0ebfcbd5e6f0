// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRewardsDistributor} from "../../src/interfaces/IRewardsDistributor.sol";
import {Merkle} from "../utils/Merkle.sol";
import {RewardsFixture} from "../utils/RewardsFixture.sol";

/// @notice Gas of the distributor paths that grow with the network. Each scenario prepares its state in `setUp`
///         (a transaction of its own, so storage "original values" are what a real transaction would see) and the
///         test measures one call against cooled accounts. The logged "tx" figure is 21,000 + calldata (4/16 gas per
///         zero/non-zero byte) + execution, without the test's own cold-call charge. Run with `-vv` to see it.
abstract contract RewardsGasBase is RewardsFixture {
    uint256 internal constant BENEFICIARIES = 100;
    uint256 internal constant LEAVES = 128; // 100 beneficiaries + 28 others: a full tree, every proof 7 long

    address[] internal accounts;
    address[] internal who;
    uint256[] internal amounts;
    bytes32[][] internal proofs;

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
        _submit(Merkle.root(leaves), _sum(all));
        delete who;
        delete amounts;
        delete proofs;
        for (uint256 i; i < BENEFICIARIES; ++i) {
            who.push(accounts[i]);
            amounts.push(all[i]);
            proofs.push(Merkle.proof(leaves, i));
        }
    }

    /// @dev Gas of one call to the distributor against cold accounts, as a transaction.
    function _measure(bytes memory data) internal returns (uint256 transaction) {
        vm.cool(address(distributor));
        vm.cool(address(token));
        vm.cool(address(schedule));
        address target = address(distributor);
        bool ok;
        uint256 before = gasleft();
        // Call with the arguments in place: a Solidity-level `call(data)` would first copy them to the top of this
        // test's memory and count that expansion as well.
        assembly ("memory-safe") {
            ok := call(gas(), target, 0, add(data, 0x20), mload(data), 0, 0)
        }
        uint256 execution = before - gasleft();
        if (!ok) {
            assembly ("memory-safe") {
                let free := mload(0x40)
                returndatacopy(free, 0, returndatasize())
                revert(free, returndatasize())
            }
        }
        uint256 calldataGas;
        for (uint256 i; i < data.length; ++i) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        // In a transaction the target is warm from the start: drop the CALL's cold-account charge.
        transaction = 21_000 + calldataGas + execution - 2_600;
    }

    function _measureClaimMany() internal returns (uint256) {
        assertEq(proofs[0].length, 7, "proof depth");
        return _measure(abi.encodeCall(IRewardsDistributor.claimMany, (who, amounts, proofs)));
    }

    function _measureClaim(uint256 index) internal returns (uint256) {
        assertEq(proofs[index].length, 7, "proof depth");
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
        assertEq(token.balanceOf(who[5]), amounts[5]);
    }

    function test_gas_claim_firstClaimByNewHolderAtDepthSeven() public {
        uint256 transaction = _measureClaim(6);
        _log("claim, first claim by a new holder, depth 7: tx", transaction);
        assertEq(token.balanceOf(who[6]), amounts[6]);
    }
}

/// @notice submitRoot with 2 of 3 oracles: the first epoch (first mint into the distributor) and a later one.
contract SubmitRootTwoOfThreeGasTest is RewardsGasBase {
    function setUp() public {
        _deployRewards(3, 2);
    }

    function test_gas_submitRoot_twoOfThreeFirstEpoch() public {
        _log("submitRoot 2-of-3, first epoch: tx", _measureSubmit(2));
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
        _log("submitRoot 2-of-3, later epoch: tx", _measureSubmit(2));
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
        _log("submitRoot 3-of-5, later epoch: tx", _measureSubmit(3));
        assertEq(distributor.lastEpoch(), 2);
    }
}
