// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AnchorRegistry} from "../../../src/AnchorRegistry.sol";
import {IAnchorRegistry} from "../../../src/interfaces/IAnchorRegistry.sol";

interface IOracleToggle {
    function setOracle(address account, bool oracle) external;
}

/// @notice Anchors roots as oracles and as strangers, re-anchors old roots and rotates the oracle set; counts what
///         the registry accepted.
contract AnchorHandler {
    AnchorRegistry public immutable registry;
    IOracleToggle public immutable oracles;
    address[3] public actors;

    bytes32[] public accepted;
    mapping(bytes32 root => address) public anchorerOf;
    mapping(address actor => bool) public isOracleNow;
    uint256 public forbiddenAccepted;

    constructor(AnchorRegistry registry_, IOracleToggle oracles_, address[3] memory actors_) {
        registry = registry_;
        oracles = oracles_;
        actors = actors_;
    }

    function anchor(uint256 actorSeed, bytes32 root, uint256 records) external {
        address actor = actors[actorSeed % 3];
        records = 1 + records % 1_000_000;
        if (root == bytes32(0)) root = keccak256(abi.encode(accepted.length));
        bool known = registry.isAnchored(root);
        bool allowed = isOracleNow[actor] && !known;
        (bool ok,) = _call(actor, abi.encodeCall(IAnchorRegistry.anchor, ("logistics", root, records)));
        if (ok && !allowed) ++forbiddenAccepted;
        if (ok && allowed) {
            accepted.push(root);
            anchorerOf[root] = actor;
        }
    }

    function reanchor(uint256 actorSeed, uint256 index) external {
        if (accepted.length == 0) return;
        address actor = actors[actorSeed % 3];
        bytes32 root = accepted[index % accepted.length];
        (bool ok,) = _call(actor, abi.encodeCall(IAnchorRegistry.anchor, ("logistics", root, 1)));
        if (ok) ++forbiddenAccepted;
    }

    function toggleOracle(uint256 actorSeed) external {
        address actor = actors[actorSeed % 3];
        isOracleNow[actor] = !isOracleNow[actor];
        oracles.setOracle(actor, isOracleNow[actor]);
    }

    function acceptedCount() external view returns (uint256) {
        return accepted.length;
    }

    /// @dev Calls the registry as `actor` through a per-actor forwarder so `msg.sender` is the actor.
    function _call(address actor, bytes memory data) private returns (bool ok, bytes memory ret) {
        (ok, ret) = ActorProxy(actor).forward(address(registry), data);
    }
}

/// @notice A fixed account the handler acts through.
contract ActorProxy {
    function forward(address target, bytes calldata data) external returns (bool ok, bytes memory ret) {
        (ok, ret) = target.call(data);
    }
}
