// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Builds Merkle trees the way OpenZeppelin MerkleProof checks them: sorted-pair (commutative) keccak256,
///         leaves in the given order, an odd node out promoted to the next level unchanged. Leaves are
///         OpenZeppelin StandardMerkleTree leaves of (address, uint256).
library Merkle {
    function leaf(address account, uint256 cumulativeAmount) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
    }

    function leaves(address[] memory accounts, uint256[] memory amounts) internal pure returns (bytes32[] memory out) {
        require(accounts.length == amounts.length, "Merkle: length");
        out = new bytes32[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            out[i] = leaf(accounts[i], amounts[i]);
        }
    }

    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function root(bytes32[] memory nodes) internal pure returns (bytes32) {
        require(nodes.length != 0, "Merkle: empty");
        bytes32[] memory level = _copy(nodes);
        uint256 n = level.length;
        while (n > 1) {
            n = _up(level, n);
        }
        return level[0];
    }

    function proof(bytes32[] memory nodes, uint256 index) internal pure returns (bytes32[] memory path) {
        require(index < nodes.length, "Merkle: index");
        bytes32[] memory level = _copy(nodes);
        path = new bytes32[](256);
        uint256 depth;
        uint256 n = level.length;
        while (n > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < n) path[depth++] = level[sibling];
            n = _up(level, n);
            index >>= 1;
        }
        assembly ("memory-safe") {
            mstore(path, depth)
        }
    }

    /// @dev Replaces level[0..n) by its parent level in place and returns the parent count.
    function _up(bytes32[] memory level, uint256 n) private pure returns (uint256 m) {
        m = (n + 1) / 2;
        for (uint256 j; j < m; ++j) {
            level[j] = 2 * j + 1 < n ? hashPair(level[2 * j], level[2 * j + 1]) : level[2 * j];
        }
    }

    function _copy(bytes32[] memory nodes) private pure returns (bytes32[] memory out) {
        out = new bytes32[](nodes.length);
        for (uint256 i; i < nodes.length; ++i) {
            out[i] = nodes[i];
        }
    }
}
