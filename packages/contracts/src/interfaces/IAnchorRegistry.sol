// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IAnchorOracleSet
/// @notice The one view AnchorRegistry needs from the network's oracle set (RewardsDistributor implements it).
interface IAnchorOracleSet {
    /// @notice Whether `account` is currently a registered oracle.
    /// @param account The account to check.
    /// @return True if it is an oracle now.
    function isOracle(address account) external view returns (bool);
}

/// @title IAnchorRegistry
/// @notice Merkle roots of off-chain records (tracker readings, custody hand-offs, alerts), anchored by the network's
///         oracles so that anyone can check one record's inclusion proof against the chain without trusting the node
///         that kept it. Who may anchor is read live from the oracle set (RewardsDistributor `isOracle`): rotating the
///         oracles rotates the anchorers. A root is anchored once, in a numbered batch, with the block time.
interface IAnchorRegistry {
    /// @notice What the registry keeps per anchored root (one storage slot).
    /// @param anchorer The oracle that anchored it.
    /// @param batch The batch number, from 1 in anchoring order (0: not anchored).
    /// @param timestamp The block time of the anchoring transaction, seconds.
    struct Anchor {
        address anchorer;
        uint48 batch;
        uint48 timestamp;
    }

    /// @notice Emitted when a root is anchored.
    /// @param batch The batch number given to the root (1, 2, 3, ...).
    /// @param root The Merkle root.
    /// @param topic What the records are, a short ASCII name left-aligned in bytes32 (e.g. `bytes32("logistics")`).
    /// @param records How many records (leaves) the tree holds.
    /// @param anchorer The oracle that anchored it.
    event RootAnchored(
        uint256 indexed batch, bytes32 indexed root, bytes32 indexed topic, uint256 records, address anchorer
    );

    /// @notice The caller is not an oracle of the oracle set.
    /// @param caller The caller.
    error AnchorRegistryNotAnchorer(address caller);

    /// @notice The root is zero (the value that means "not anchored").
    error AnchorRegistryInvalidRoot();

    /// @notice The batch claims to hold no records.
    error AnchorRegistryEmptyBatch();

    /// @notice The root was anchored before.
    /// @param root The root.
    /// @param batch The batch it was anchored in.
    error AnchorRegistryAlreadyAnchored(bytes32 root, uint256 batch);

    /// @notice A constructor address is zero.
    error AnchorRegistryInvalidAddress();

    /// @notice Anchors a Merkle root. Oracles only; each root once.
    /// @param topic What the records are (e.g. `bytes32("logistics")`); only emitted.
    /// @param root The root; not zero.
    /// @param records The number of leaves; not zero; only emitted.
    /// @return batch The batch number given to the root.
    function anchor(bytes32 topic, bytes32 root, uint256 records) external returns (uint256 batch);

    /// @notice What is known about a root; all fields zero when it was never anchored.
    /// @param root The root.
    /// @return The anchor record.
    function anchorOf(bytes32 root) external view returns (Anchor memory);

    /// @notice Whether a root has been anchored.
    /// @param root The root.
    /// @return True if anchored.
    function isAnchored(bytes32 root) external view returns (bool);

    /// @notice Folds an inclusion proof (OpenZeppelin `MerkleProof`, sorted-pair keccak256) and says whether the
    ///         resulting root is anchored, so a contract (an insurer's, say) can check a record on chain.
    /// @param leaf The record's leaf hash.
    /// @param proof The sibling hashes from the leaf up.
    /// @return root The root the proof leads to.
    /// @return batch The batch that anchored it, or 0 if that root is not anchored.
    function rootOfProof(bytes32 leaf, bytes32[] calldata proof) external view returns (bytes32 root, uint256 batch);

    /// @notice How many roots have been anchored (the last batch number).
    /// @return The count.
    function batchCount() external view returns (uint256);

    /// @notice The oracle set whose members may anchor.
    /// @return The oracle set (the network's RewardsDistributor).
    function oracleSet() external view returns (IAnchorOracleSet);

    /// @notice The network's DeviceRegistry, where a verifier finds the key of the device that signed a record.
    /// @return The registry address.
    function deviceRegistry() external view returns (address);
}
