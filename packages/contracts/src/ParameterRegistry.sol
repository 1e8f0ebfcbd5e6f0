// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IParameterRegistry} from "./interfaces/IParameterRegistry.sol";

/// @title ParameterRegistry
/// @notice Every governed number of the network by key (e.g. `bytes32("epoch.seconds")`), set by the owner (the
///         governance timelock) and enumerable in the order keys were first set.
/// @dev Keys are never removed. `_positions[key]` is the key's index in `_keys` plus one, so 0 means unknown and
///      a stored value of 0 is still a known value.
contract ParameterRegistry is IParameterRegistry, Ownable {
    bytes32[] private _keys;
    mapping(bytes32 key => uint256) private _positions;
    mapping(bytes32 key => uint256) private _values;

    /// @param owner_ The owner (governance).
    constructor(address owner_) Ownable(owner_) {}

    /// @inheritdoc IParameterRegistry
    function set(bytes32 key, uint256 value) external onlyOwner {
        _set(key, value);
    }

    /// @inheritdoc IParameterRegistry
    function setMany(bytes32[] calldata keys_, uint256[] calldata values) external onlyOwner {
        uint256 count = keys_.length;
        if (values.length != count) revert ParameterRegistryLengthMismatch(count, values.length);
        for (uint256 i; i < count; ++i) {
            _set(keys_[i], values[i]);
        }
    }

    /// @inheritdoc IParameterRegistry
    function get(bytes32 key) public view returns (uint256) {
        if (_positions[key] == 0) revert ParameterRegistryUnknownKey(key);
        return _values[key];
    }

    /// @inheritdoc IParameterRegistry
    function getMany(bytes32[] calldata keys_) external view returns (uint256[] memory values) {
        uint256 count = keys_.length;
        values = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            values[i] = get(keys_[i]);
        }
    }

    /// @inheritdoc IParameterRegistry
    function has(bytes32 key) external view returns (bool) {
        return _positions[key] != 0;
    }

    /// @inheritdoc IParameterRegistry
    function keys() external view returns (bytes32[] memory) {
        return _keys;
    }

    /// @dev Records a new key on first use, then writes the value and emits `ParameterSet`.
    function _set(bytes32 key, uint256 value) private {
        if (key == bytes32(0)) revert ParameterRegistryInvalidKey(key);
        if (_positions[key] == 0) {
            _keys.push(key);
            _positions[key] = _keys.length;
        }
        uint256 previousValue = _values[key];
        _values[key] = value;
        emit ParameterSet(key, previousValue, value);
    }
}
