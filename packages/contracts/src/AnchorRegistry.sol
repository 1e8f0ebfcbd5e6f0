// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IAnchorOracleSet, IAnchorRegistry} from "./interfaces/IAnchorRegistry.sol";

/// @title AnchorRegistry
/// @notice Merkle roots of off-chain records anchored by the network's oracles; see {IAnchorRegistry}.
/// @dev One storage slot per root (anchorer, batch, timestamp packed) plus the batch counter. The oracle check is a
///      view call into the oracle set made before any write, so there is nothing for a re-entrant call to observe.
contract AnchorRegistry is IAnchorRegistry {
    IAnchorOracleSet private immutable _oracleSet;
    address private immutable _deviceRegistry;

    uint48 private _batchCount;
    mapping(bytes32 root => Anchor) private _anchors;

    /// @param oracleSet_ The oracle set whose members may anchor (the network's RewardsDistributor).
    /// @param deviceRegistry_ The network's DeviceRegistry, published for verifiers.
    constructor(IAnchorOracleSet oracleSet_, address deviceRegistry_) {
        if (address(oracleSet_) == address(0) || deviceRegistry_ == address(0)) {
            revert AnchorRegistryInvalidAddress();
        }
        _oracleSet = oracleSet_;
        _deviceRegistry = deviceRegistry_;
    }

    /// @inheritdoc IAnchorRegistry
    function anchor(bytes32 topic, bytes32 root, uint256 records) external returns (uint256 batch) {
        if (!_oracleSet.isOracle(msg.sender)) revert AnchorRegistryNotAnchorer(msg.sender);
        if (root == bytes32(0)) revert AnchorRegistryInvalidRoot();
        if (records == 0) revert AnchorRegistryEmptyBatch();
        uint256 existing = _anchors[root].batch;
        if (existing != 0) revert AnchorRegistryAlreadyAnchored(root, existing);
        // Checked uint48 arithmetic: the 2^48-th anchor would revert rather than wrap.
        uint48 next = _batchCount + 1;
        _batchCount = next;
        // casting to 'uint48' is safe because block times stay below 2^48 seconds (~8.9 million years).
        // forge-lint: disable-next-line(unsafe-typecast)
        _anchors[root] = Anchor({anchorer: msg.sender, batch: next, timestamp: uint48(block.timestamp)});
        batch = next;
        emit RootAnchored(batch, root, topic, records, msg.sender);
    }

    /// @inheritdoc IAnchorRegistry
    function anchorOf(bytes32 root) external view returns (Anchor memory) {
        return _anchors[root];
    }

    /// @inheritdoc IAnchorRegistry
    function isAnchored(bytes32 root) external view returns (bool) {
        return _anchors[root].batch != 0;
    }

    /// @inheritdoc IAnchorRegistry
    function rootOfProof(bytes32 leaf, bytes32[] calldata proof) external view returns (bytes32 root, uint256 batch) {
        root = MerkleProof.processProofCalldata(proof, leaf);
        batch = _anchors[root].batch;
    }

    /// @inheritdoc IAnchorRegistry
    function batchCount() external view returns (uint256) {
        return _batchCount;
    }

    /// @inheritdoc IAnchorRegistry
    function oracleSet() external view returns (IAnchorOracleSet) {
        return _oracleSet;
    }

    /// @inheritdoc IAnchorRegistry
    function deviceRegistry() external view returns (address) {
        return _deviceRegistry;
    }
}
