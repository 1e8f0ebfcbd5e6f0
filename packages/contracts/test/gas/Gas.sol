// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "../utils/Test.sol";

/// @notice Shared by the gas scenarios: one definition of "transaction gas", the machine-readable figure line, and
///         synthetic deep Merkle paths.
library Gas {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    address private constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    /// @dev Gas of one call to `target` as a transaction: 21,000 + calldata (4/16 gas per zero/non-zero byte) +
    ///      execution, without the test's own cold-call charge (in a transaction the target is warm from the start).
    ///      The caller cools the accounts first (`vm.cool`) and may `vm.prank` just before: the only external call
    ///      made here is the measured one. A revert is bubbled up.
    function transaction(address target, bytes memory data) internal returns (uint256) {
        bool ok;
        uint256 before = gasleft();
        // Call with the arguments in place: a Solidity-level `call(data)` would first copy them to the top of the
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
        return 21_000 + calldataGas + execution - 2_600;
    }

    /// @dev Prints the line `GAS <key> <value>` through forge's console (shown with `-vv`, and in `--json -vv` as a
    ///      decoded log). `bench/gas.ts` collects these lines; `key` is an identifier ([A-Za-z0-9_]+), unique across
    ///      test/gas.
    function log(string memory key, uint256 value) internal view {
        bytes memory k = bytes(key);
        require(k.length != 0, "Gas.log: empty key");
        for (uint256 i; i < k.length; ++i) {
            bytes1 c = k[i];
            require(
                (c >= "0" && c <= "9") || (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "_",
                "Gas.log: key must be [A-Za-z0-9_]+"
            );
        }
        (bool ok,) = CONSOLE.staticcall(
            abi.encodeWithSignature("log(string)", string.concat("GAS ", key, " ", VM.toString(value)))
        );
        ok;
    }

    /// @dev `depth` arbitrary sibling hashes, derived from `seed`: the path of one leaf in a tree too big to build
    ///      (2^20 leaves). Only the root has to agree with it, and `fold` gives that root.
    function siblings(bytes32 seed, uint256 depth) internal pure returns (bytes32[] memory path) {
        path = new bytes32[](depth);
        for (uint256 i; i < depth; ++i) {
            path[i] = keccak256(abi.encode(seed, i));
        }
    }

    /// @dev Folds `node` up `path` with OpenZeppelin's commutative (sorted-pair) keccak256 — what MerkleProof does.
    function fold(bytes32 node, bytes32[] memory path) internal pure returns (bytes32) {
        for (uint256 i; i < path.length; ++i) {
            node = node < path[i] ? keccak256(abi.encode(node, path[i])) : keccak256(abi.encode(path[i], node));
        }
        return node;
    }

    /// @dev `lower` followed by `upper`.
    function concat(bytes32[] memory lower, bytes32[] memory upper) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](lower.length + upper.length);
        for (uint256 i; i < lower.length; ++i) {
            out[i] = lower[i];
        }
        for (uint256 i; i < upper.length; ++i) {
            out[lower.length + i] = upper[i];
        }
    }
}
