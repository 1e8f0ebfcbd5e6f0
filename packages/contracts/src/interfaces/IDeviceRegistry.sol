// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IDeviceRegistry
/// @notice On-chain identity of Groundwork devices. Each device is an ERC-721 token owned by the operator who
///         registered it; the token id is the device id `uint256(keccak256(abi.encodePacked(keyType, publicKey)))`.
///         Registration needs a signature by the device key over `registrationDigest(operator, deviceId)`, so a
///         device consents to its operator. Owners are tracked from the ERC-721 `Transfer` event; rewards follow
///         the owner.
interface IDeviceRegistry {
    /// @notice What an operator submits to register one device.
    /// @param keyType 1 = ed25519 (32-byte key), 2 = P-256 (64-byte key x || y, big-endian).
    /// @param publicKey The device public key.
    /// @param module The module the device contributes to, a short ASCII name left-aligned (`bytes32("uptime")`).
    /// @param h3Cell The asserted location as an H3 cell index, or 0 for none.
    /// @param signature 64 bytes by the device key over `registrationDigest(operator, deviceId)`: ed25519 R || S
    ///        over the 32 digest bytes; P-256 r || s (low s) over sha256 of the 32 digest bytes.
    struct Registration {
        uint8 keyType;
        bytes publicKey;
        bytes32 module;
        uint64 h3Cell;
        bytes signature;
    }

    /// @notice A registered device as returned by `deviceOf`.
    /// @param keyType 1 = ed25519, 2 = P-256.
    /// @param active False once deactivated (by its owner or the registry owner); never true again.
    /// @param h3Cell The last asserted H3 cell, 0 for none.
    /// @param registeredAt Block timestamp of the registration.
    /// @param module The module name, left-aligned ASCII.
    /// @param publicKey The device public key (32 or 64 bytes).
    struct Device {
        uint8 keyType;
        bool active;
        uint64 h3Cell;
        uint64 registeredAt;
        bytes32 module;
        bytes publicKey;
    }

    /// @notice Emitted when a device is registered (together with the ERC-721 `Transfer` from the zero address).
    /// @param deviceId The device id (= token id).
    /// @param operator The operator who registered it and owns the token.
    /// @param keyType 1 = ed25519, 2 = P-256.
    /// @param publicKey The device public key.
    /// @param module The module name, left-aligned ASCII.
    /// @param h3Cell The asserted H3 cell, 0 for none.
    event DeviceRegistered(
        uint256 indexed deviceId,
        address indexed operator,
        uint8 keyType,
        bytes publicKey,
        bytes32 module,
        uint64 h3Cell
    );

    /// @notice Emitted when a device is deactivated.
    /// @param deviceId The device id.
    /// @param by The device owner or the registry owner who deactivated it.
    event DeviceDeactivated(uint256 indexed deviceId, address indexed by);

    /// @notice Emitted when a device owner asserts a new location.
    /// @param deviceId The device id.
    /// @param h3Cell The new H3 cell.
    event DeviceLocationAsserted(uint256 indexed deviceId, uint64 h3Cell);

    /// @notice The device signature does not verify against the registration digest, or is not 64 bytes, or (P-256)
    ///         its s is high or the key is not a point on the curve.
    /// @param deviceId The device id.
    error DeviceRegistryBadSignature(uint256 deviceId);

    /// @notice Unknown key type, or a key of the wrong length for its type.
    /// @param keyType The key type given.
    /// @param length The key length given, in bytes.
    error DeviceRegistryBadKey(uint8 keyType, uint256 length);

    /// @notice The key is already registered (also after deactivation: a key is registered at most once).
    /// @param deviceId The device id.
    error DeviceRegistryAlreadyRegistered(uint256 deviceId);

    /// @notice No device with this id is registered.
    /// @param deviceId The device id.
    error DeviceRegistryUnknownDevice(uint256 deviceId);

    /// @notice The caller may not act on this device.
    /// @param deviceId The device id.
    /// @param caller The caller.
    error DeviceRegistryUnauthorized(uint256 deviceId, address caller);

    /// @notice The device has been deactivated.
    /// @param deviceId The device id.
    error DeviceRegistryInactiveDevice(uint256 deviceId);

    /// @notice The value is neither 0 nor an H3 cell index (reserved bit 0 and mode 1 in the top five bits).
    /// @param h3Cell The rejected value.
    error DeviceRegistryBadCell(uint64 h3Cell);

    /// @notice The module name is empty.
    error DeviceRegistryBadModule();

    /// @notice Registers one device and mints its token to the caller.
    /// @param registration The device key, module, location and device signature.
    /// @return deviceId The device id (= token id).
    function register(Registration calldata registration) external returns (uint256 deviceId);

    /// @notice Registers several devices to the caller; reverts as a whole if any one fails.
    /// @param registrations The registrations.
    /// @return deviceIds The device ids, in order.
    function registerBatch(Registration[] calldata registrations) external returns (uint256[] memory deviceIds);

    /// @notice Deactivates a device for good. By its token owner, or by the registry owner (denylist).
    /// @param deviceId The device id.
    function deactivate(uint256 deviceId) external;

    /// @notice Asserts a new location for an active device. By its token owner.
    /// @param deviceId The device id.
    /// @param h3Cell The H3 cell index, or 0 to clear.
    function assertLocation(uint256 deviceId, uint64 h3Cell) external;

    /// @notice A registered device; reverts `DeviceRegistryUnknownDevice` for an unknown id.
    /// @param deviceId The device id.
    /// @return The device.
    function deviceOf(uint256 deviceId) external view returns (Device memory);

    /// @notice How many times this key has been registered; part of the registration digest.
    /// @param deviceId The device id.
    /// @return The nonce (0 before registration, 1 after).
    function keyNonce(uint256 deviceId) external view returns (uint256);

    /// @notice The digest a device key signs to consent to `operator`: `keccak256(abi.encode(
    ///         keccak256("GroundworkDeviceRegistration"), block.chainid, address(this), operator, keyNonce(deviceId)))`.
    /// @param operator The account that will call `register` and own the token.
    /// @param deviceId The device id.
    /// @return The digest.
    function registrationDigest(address operator, uint256 deviceId) external view returns (bytes32);

    /// @notice The device id of a key: `uint256(keccak256(abi.encodePacked(keyType, publicKey)))`. Does not check
    ///         the key.
    /// @param keyType 1 = ed25519, 2 = P-256.
    /// @param publicKey The public key.
    /// @return The device id.
    function deviceIdOf(uint8 keyType, bytes calldata publicKey) external pure returns (uint256);
}
