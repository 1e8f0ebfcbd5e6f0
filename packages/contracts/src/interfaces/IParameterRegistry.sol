// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IParameterRegistry
/// @notice Every governed number of the network (module weights, epoch length, thresholds), by key. A key is a
///         short ASCII name left-aligned in bytes32, e.g. `bytes32("epoch.seconds")`.
interface IParameterRegistry {
    /// @notice Emitted for every value written by `set` or `setMany`, also when it equals the previous one.
    /// @param key The key.
    /// @param previousValue The value before (0 if the key was new).
    /// @param value The new value.
    event ParameterSet(bytes32 indexed key, uint256 previousValue, uint256 value);

    /// @notice The key has never been set.
    /// @param key The key.
    error ParameterRegistryUnknownKey(bytes32 key);

    /// @notice The key is empty (zero).
    /// @param key The rejected key.
    error ParameterRegistryInvalidKey(bytes32 key);

    /// @notice `setMany` got arrays of different lengths.
    /// @param keys The number of keys.
    /// @param values The number of values.
    error ParameterRegistryLengthMismatch(uint256 keys, uint256 values);

    /// @notice Sets one value. Owner only.
    /// @param key The key; not zero.
    /// @param value The value.
    function set(bytes32 key, uint256 value) external;

    /// @notice Sets several values, in order. Owner only.
    /// @param keys The keys; none zero.
    /// @param values The values, one per key.
    function setMany(bytes32[] calldata keys, uint256[] calldata values) external;

    /// @notice The value of a key; reverts `ParameterRegistryUnknownKey` if it was never set.
    /// @param key The key.
    /// @return The value.
    function get(bytes32 key) external view returns (uint256);

    /// @notice The values of several keys; reverts `ParameterRegistryUnknownKey` on the first unknown one.
    /// @param keys The keys.
    /// @return values The values, one per key.
    function getMany(bytes32[] calldata keys) external view returns (uint256[] memory values);

    /// @notice Whether a key has ever been set.
    /// @param key The key.
    /// @return True if set.
    function has(bytes32 key) external view returns (bool);

    /// @notice Every key ever set, in the order it was first set.
    /// @return The keys.
    function keys() external view returns (bytes32[] memory);
}
