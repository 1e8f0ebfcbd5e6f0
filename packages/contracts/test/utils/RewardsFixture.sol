// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EmissionSchedule} from "../../src/EmissionSchedule.sol";
import {GroundToken} from "../../src/GroundToken.sol";
import {RewardsDistributor} from "../../src/RewardsDistributor.sol";
import {IRewardsDistributor} from "../../src/interfaces/IRewardsDistributor.sol";
import {Test} from "./Test.sol";

/// @notice Deploys token, schedule and distributor wired together, with oracle keys and signing helpers.
abstract contract RewardsFixture is Test {
    uint256 internal constant CAP = 1_000_000e18;
    uint256 internal constant POOL = 1_000e18;
    uint256 internal constant HALVING = 52;

    address internal governance = address(0x60F);
    GroundToken internal token;
    EmissionSchedule internal schedule;
    RewardsDistributor internal distributor;

    uint256[] internal oracleKeys;

    /// @dev Deploys with `count` oracles (private keys 0x0A0001...) and `threshold`.
    function _deployRewards(uint256 count, uint256 threshold) internal {
        delete oracleKeys;
        address[] memory oracleAddresses = new address[](count);
        for (uint256 i; i < count; ++i) {
            oracleKeys.push(0x0A0001 + i);
            oracleAddresses[i] = vm.addr(oracleKeys[i]);
        }
        token = new GroundToken(CAP, governance);
        schedule = new EmissionSchedule(token, POOL, HALVING, governance);
        distributor = new RewardsDistributor(token, schedule, governance, oracleAddresses, threshold);
        vm.startPrank(governance);
        token.setMinter(address(schedule));
        schedule.setDistributor(address(distributor));
        vm.stopPrank();
        vm.label(address(token), "GroundToken");
        vm.label(address(schedule), "EmissionSchedule");
        vm.label(address(distributor), "RewardsDistributor");
    }

    /// @dev The first `n` oracle keys.
    function _oracleKeys(uint256 n) internal view returns (uint256[] memory keys) {
        keys = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            keys[i] = oracleKeys[i];
        }
    }

    function _keys(uint256 a) internal pure returns (uint256[] memory keys) {
        keys = new uint256[](1);
        keys[0] = a;
    }

    function _keys(uint256 a, uint256 b) internal pure returns (uint256[] memory keys) {
        keys = new uint256[](2);
        keys[0] = a;
        keys[1] = b;
    }

    /// @dev Sorts keys by their address, ascending (insertion sort; a handful of keys).
    function _sortByAddress(uint256[] memory keys) internal pure returns (uint256[] memory) {
        for (uint256 i = 1; i < keys.length; ++i) {
            uint256 key = keys[i];
            uint256 j = i;
            while (j > 0 && vm.addr(keys[j - 1]) > vm.addr(key)) {
                keys[j] = keys[j - 1];
                --j;
            }
            keys[j] = key;
        }
        return keys;
    }

    /// @dev 65-byte r || s || v signatures over `digest`, in the given key order.
    function _signInOrder(uint256[] memory keys, bytes32 digest) internal pure returns (bytes[] memory signatures) {
        signatures = new bytes[](keys.length);
        for (uint256 i; i < keys.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[i], digest);
            signatures[i] = abi.encodePacked(r, s, v);
        }
    }

    /// @dev Signatures of the keys over a root submission, sorted by signer as the distributor requires.
    function _sign(uint256[] memory keys, uint256 epoch, bytes32 root, uint256 total, bytes32 bundleHash)
        internal
        view
        returns (bytes[] memory)
    {
        return _signInOrder(_sortByAddress(keys), distributor.rootSubmissionDigest(epoch, root, total, bundleHash));
    }

    /// @dev Submits the next epoch's root signed by the first `threshold()` oracles.
    function _submit(bytes32 root, uint256 total) internal returns (uint256 epoch) {
        epoch = distributor.lastEpoch() + 1;
        bytes32 bundleHash = keccak256(abi.encode("bundle", epoch));
        distributor.submitRoot(
            epoch, root, total, bundleHash, _sign(_oracleKeys(distributor.threshold()), epoch, root, total, bundleHash)
        );
    }

    /// @dev Addresses of the keys, sorted ascending.
    function _sortedAddresses(uint256[] memory keys) internal pure returns (address[] memory out) {
        uint256[] memory sorted = _sortByAddress(keys);
        out = new address[](sorted.length);
        for (uint256 i; i < sorted.length; ++i) {
            out[i] = vm.addr(sorted[i]);
        }
    }

    /// @dev The error `submitRoot` must raise for these signatures over `digest`, derived the way the contract
    ///      checks them: order first, then oracle membership. Empty if all would pass.
    function _expectedSignerError(bytes[] memory signatures, bytes32 digest) internal view returns (bytes memory) {
        address previous;
        for (uint256 i; i < signatures.length; ++i) {
            bytes memory sig = signatures[i];
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                r := mload(add(sig, 0x20))
                s := mload(add(sig, 0x40))
                v := byte(0, mload(add(sig, 0x60)))
            }
            address signer = ecrecover(digest, v, r, s);
            if (signer <= previous) {
                return abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorSignersNotSorted.selector);
            }
            if (!distributor.isOracle(signer)) {
                return abi.encodeWithSelector(IRewardsDistributor.RewardsDistributorNotOracle.selector, signer);
            }
            previous = signer;
        }
        return "";
    }
}
