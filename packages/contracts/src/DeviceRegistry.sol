// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";
import {Ed25519} from "./libraries/Ed25519.sol";

/// @title DeviceRegistry
/// @notice One ERC-721 token per device ("Groundwork Device", GWD), owned by the operator who registered it. The
///         token id is the device id, `uint256(keccak256(abi.encodePacked(keyType, publicKey)))`.
/// @dev A key is registered at most once: a deactivated device keeps its token and its record, and registering
///      its key again reverts `DeviceRegistryAlreadyRegistered`. `keyNonce` is part of the signed digest so that a
///      future re-registration path cannot replay an old consent. Deactivated devices can still be transferred.
///      There are no external calls: signature checks are precompile or pure code, and tokens are minted with
///      `_mint` (no receiver callback).
contract DeviceRegistry is IDeviceRegistry, ERC721, Ownable {
    /// @notice The tag that starts every registration digest.
    bytes32 public constant REGISTRATION_TAG = keccak256("GroundworkDeviceRegistration");
    /// @notice Key type of an ed25519 key (32 bytes).
    uint8 public constant KEY_TYPE_ED25519 = 1;
    /// @notice Key type of a P-256 key (64 bytes, x || y).
    uint8 public constant KEY_TYPE_P256 = 2;

    /// @dev Storage form of a device: the key as 32-byte words instead of `bytes` (no length slot; `keyWord1` is
    ///      used by P-256 only, the words are x and y), and the key nonce packed next to the small fields.
    struct DeviceRecord {
        uint8 keyType;
        bool active;
        uint64 h3Cell;
        uint64 registeredAt;
        uint64 keyNonce;
        bytes32 module;
        bytes32 keyWord0;
        bytes32 keyWord1;
    }

    mapping(uint256 deviceId => DeviceRecord) private _devices;

    /// @param owner_ The registry owner, who may deactivate any device (denylist).
    constructor(address owner_) ERC721("Groundwork Device", "GWD") Ownable(owner_) {}

    /// @inheritdoc IDeviceRegistry
    function register(Registration calldata registration) external returns (uint256 deviceId) {
        deviceId = _register(registration, msg.sender);
    }

    /// @inheritdoc IDeviceRegistry
    function registerBatch(Registration[] calldata registrations) external returns (uint256[] memory deviceIds) {
        uint256 count = registrations.length;
        deviceIds = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            deviceIds[i] = _register(registrations[i], msg.sender);
        }
    }

    /// @inheritdoc IDeviceRegistry
    function deactivate(uint256 deviceId) external {
        address holder = _ownerOf(deviceId);
        if (holder == address(0)) revert DeviceRegistryUnknownDevice(deviceId);
        if (msg.sender != holder && msg.sender != owner()) revert DeviceRegistryUnauthorized(deviceId, msg.sender);
        DeviceRecord storage device = _devices[deviceId];
        if (!device.active) revert DeviceRegistryInactiveDevice(deviceId);
        device.active = false;
        emit DeviceDeactivated(deviceId, msg.sender);
    }

    /// @inheritdoc IDeviceRegistry
    function assertLocation(uint256 deviceId, uint64 h3Cell) external {
        address holder = _ownerOf(deviceId);
        if (holder == address(0)) revert DeviceRegistryUnknownDevice(deviceId);
        if (msg.sender != holder) revert DeviceRegistryUnauthorized(deviceId, msg.sender);
        DeviceRecord storage device = _devices[deviceId];
        if (!device.active) revert DeviceRegistryInactiveDevice(deviceId);
        _checkCell(h3Cell);
        device.h3Cell = h3Cell;
        emit DeviceLocationAsserted(deviceId, h3Cell);
    }

    /// @inheritdoc IDeviceRegistry
    function deviceOf(uint256 deviceId) external view returns (Device memory) {
        if (_ownerOf(deviceId) == address(0)) revert DeviceRegistryUnknownDevice(deviceId);
        DeviceRecord storage record = _devices[deviceId];
        return Device({
            keyType: record.keyType,
            active: record.active,
            h3Cell: record.h3Cell,
            registeredAt: record.registeredAt,
            module: record.module,
            publicKey: record.keyType == KEY_TYPE_ED25519
                ? abi.encodePacked(record.keyWord0)
                : abi.encodePacked(record.keyWord0, record.keyWord1)
        });
    }

    /// @inheritdoc IDeviceRegistry
    function keyNonce(uint256 deviceId) public view returns (uint256) {
        return _devices[deviceId].keyNonce;
    }

    /// @inheritdoc IDeviceRegistry
    function registrationDigest(address operator, uint256 deviceId) public view returns (bytes32) {
        return keccak256(abi.encode(REGISTRATION_TAG, block.chainid, address(this), operator, keyNonce(deviceId)));
    }

    /// @inheritdoc IDeviceRegistry
    function deviceIdOf(uint8 keyType, bytes calldata publicKey) public pure returns (uint256) {
        return uint256(keccak256(abi.encodePacked(keyType, publicKey)));
    }

    /// @dev Checks, then records the device, emits `DeviceRegistered` and mints the token (which emits
    ///      `Transfer`).
    function _register(Registration calldata registration, address operator) private returns (uint256 deviceId) {
        deviceId = _checkRegistration(registration, operator);

        bytes calldata publicKey = registration.publicKey;
        uint8 keyType = registration.keyType;
        DeviceRecord storage record = _devices[deviceId];
        record.keyType = keyType;
        record.active = true;
        record.h3Cell = registration.h3Cell;
        record.registeredAt = uint64(block.timestamp);
        // A key registers once, so the nonce goes from 0 to 1 and cannot overflow.
        record.keyNonce += 1;
        record.module = registration.module;
        record.keyWord0 = bytes32(publicKey[0:32]);
        if (keyType == KEY_TYPE_P256) record.keyWord1 = bytes32(publicKey[32:64]);
        emit DeviceRegistered(deviceId, operator, keyType, publicKey, registration.module, registration.h3Cell);

        _mint(operator, deviceId);
    }

    /// @dev Checks the key, uniqueness, module, cell and the device signature over the registration digest.
    function _checkRegistration(Registration calldata registration, address operator)
        private
        view
        returns (uint256 deviceId)
    {
        uint8 keyType = registration.keyType;
        bytes calldata publicKey = registration.publicKey;
        uint256 keyLength = publicKey.length;
        if (!(keyType == KEY_TYPE_ED25519 && keyLength == 32) && !(keyType == KEY_TYPE_P256 && keyLength == 64)) {
            revert DeviceRegistryBadKey(keyType, keyLength);
        }
        deviceId = deviceIdOf(keyType, publicKey);
        if (_ownerOf(deviceId) != address(0)) revert DeviceRegistryAlreadyRegistered(deviceId);
        if (registration.module == bytes32(0)) revert DeviceRegistryBadModule();
        _checkCell(registration.h3Cell);
        if (!_verify(keyType, publicKey, registrationDigest(operator, deviceId), registration.signature)) {
            revert DeviceRegistryBadSignature(deviceId);
        }
    }

    /// @dev ed25519: R || S over the 32 digest bytes. P-256: r || s over sha256 of the 32 digest bytes; OpenZeppelin
    ///      rejects high s and off-curve keys (returns false), and uses the RIP-7212 precompile where the chain has
    ///      one, its Solidity implementation elsewhere.
    function _verify(uint8 keyType, bytes calldata publicKey, bytes32 digest, bytes calldata signature)
        private
        view
        returns (bool)
    {
        if (signature.length != 64) return false;
        bytes32 first = bytes32(signature[0:32]);
        bytes32 second = bytes32(signature[32:64]);
        if (keyType == KEY_TYPE_ED25519) {
            // casting to 'bytes32' is safe because an ed25519 key is exactly 32 bytes (checked by the caller)
            // forge-lint: disable-next-line(unsafe-typecast)
            return Ed25519.verify(bytes32(publicKey), first, second, abi.encodePacked(digest));
        }
        return P256.verify(
            sha256(abi.encodePacked(digest)), first, second, bytes32(publicKey[0:32]), bytes32(publicKey[32:64])
        );
    }

    /// @dev Accepts 0 (no location) or a value shaped like an H3 cell index: reserved high bit 0 and mode 1, i.e.
    ///      the top five bits are 0b00001. Resolution and digits are not checked.
    function _checkCell(uint64 h3Cell) private pure {
        if (h3Cell != 0 && h3Cell >> 59 != 1) revert DeviceRegistryBadCell(h3Cell);
    }
}
