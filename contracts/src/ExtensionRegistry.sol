// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IExtensionRegistry} from "./IExtensionRegistry.sol";
import {ChunkedStore} from "./ChunkedStore.sol";

/// On-chain registry of eFaaS Extensions: the canonical WASM bytes (ID = keccak256(wasm)),
/// metadata and how proofs for the Extension are verified. Large blobs (WASM, verification key)
/// live in data contracts (ChunkedStore) so registration costs ~200 gas/byte instead of
/// ~625 gas/byte of storage, and stay readable by any node with eth_call.
contract ExtensionRegistry is IExtensionRegistry {
    /// Registration input for how proofs of this Extension are checked.
    struct VerifierMetadata {
        Mode mode;
        string zkSystem; // "zkwasm-stark" (Universal), "groth16" (Custom, checked on-chain), ...
        bytes verificationKey; // Custom groth16: the snarkjs verification_key.json bytes
        string verifierURI;
        address verifierContract; // Custom groth16: snarkjs-exported verifier for that key
    }

    /// Everything about an Extension except the blobs (read those with getWasm /
    /// getVerificationKey).
    struct ExtensionInfo {
        bytes32 id;
        address developer;
        uint64 registeredAt;
        Mode mode;
        string zkSystem;
        string verifierURI;
        address verifierContract;
        string metadataURI;
        uint32 wasmSize;
        uint32 verificationKeySize;
        bool deprecated;
        bytes32 successor;
    }

    struct Record {
        address developer;
        uint64 registeredAt;
        Mode mode;
        bool deprecated;
        address verifierContract;
        uint32 wasmSize;
        uint32 verificationKeySize;
        bytes32 successor;
        string metadataURI;
        string zkSystem;
        string verifierURI;
        address[] wasmChunks;
        address[] verificationKeyChunks;
    }

    /// zkSystem value whose proofs the ConsensusContract checks on-chain.
    string public constant GROTH16 = "groth16";

    mapping(bytes32 => Record) private records_;
    bytes32[] private ids_;

    event ExtensionRegistered(
        bytes32 indexed id,
        address indexed developer,
        Mode mode,
        string zkSystem,
        address verifierContract,
        string metadataURI,
        uint256 wasmSize
    );
    event ExtensionUpdated(bytes32 indexed id, string metadataURI, string verifierURI);
    event ExtensionDeprecated(bytes32 indexed id, bytes32 indexed successor);

    error EmptyWasm();
    error IdMismatch(bytes32 given, bytes32 computed);
    error AlreadyRegistered(bytes32 id);
    error UnknownExtension(bytes32 id);
    error NotDeveloper(bytes32 id, address caller);
    error AlreadyDeprecated(bytes32 id);
    error BadSuccessor(bytes32 id, bytes32 successor);
    /// Verifier metadata inconsistent with the mode / zkSystem; `reason` says which rule.
    error BadVerifierMetadata(string reason);

    function registerExtension(
        bytes32 id,
        bytes calldata wasm,
        string calldata metadataURI,
        VerifierMetadata calldata verifier
    ) external {
        if (wasm.length == 0) revert EmptyWasm();
        bytes32 computed = keccak256(wasm);
        if (computed != id) revert IdMismatch(id, computed);
        Record storage r = records_[id];
        if (r.developer != address(0)) revert AlreadyRegistered(id);
        _checkVerifier(verifier);

        r.developer = msg.sender;
        r.registeredAt = uint64(block.timestamp);
        r.mode = verifier.mode;
        r.verifierContract = verifier.verifierContract;
        r.wasmSize = uint32(wasm.length);
        r.verificationKeySize = uint32(verifier.verificationKey.length);
        r.metadataURI = metadataURI;
        r.zkSystem = verifier.zkSystem;
        r.verifierURI = verifier.verifierURI;
        r.wasmChunks = ChunkedStore.write(wasm);
        if (verifier.verificationKey.length != 0) {
            r.verificationKeyChunks = ChunkedStore.write(verifier.verificationKey);
        }
        ids_.push(id);
        emit ExtensionRegistered(
            id, msg.sender, verifier.mode, verifier.zkSystem, verifier.verifierContract, metadataURI, wasm.length
        );
    }

    /// The developer updates the mutable pointers; code and keys never change for an ID.
    function updateMetadata(bytes32 id, string calldata metadataURI, string calldata verifierURI) external {
        Record storage r = _ownedBy(id, msg.sender);
        r.metadataURI = metadataURI;
        r.verifierURI = verifierURI;
        emit ExtensionUpdated(id, metadataURI, verifierURI);
    }

    /// The developer retires a version, optionally naming its registered successor (0 = none).
    function deprecate(bytes32 id, bytes32 successor) external {
        Record storage r = _ownedBy(id, msg.sender);
        if (r.deprecated) revert AlreadyDeprecated(id);
        if (successor != bytes32(0) && (successor == id || records_[successor].developer == address(0))) {
            revert BadSuccessor(id, successor);
        }
        r.deprecated = true;
        r.successor = successor;
        emit ExtensionDeprecated(id, successor);
    }

    function exists(bytes32 id) external view returns (bool) {
        return records_[id].developer != address(0);
    }

    function extensionCount() external view returns (uint256) {
        return ids_.length;
    }

    function extensionIdAt(uint256 index) external view returns (bytes32) {
        return ids_[index];
    }

    function getExtension(bytes32 id) external view returns (ExtensionInfo memory info) {
        Record storage r = records_[id];
        if (r.developer == address(0)) revert UnknownExtension(id);
        info.id = id;
        info.developer = r.developer;
        info.registeredAt = r.registeredAt;
        info.mode = r.mode;
        info.zkSystem = r.zkSystem;
        info.verifierURI = r.verifierURI;
        info.verifierContract = r.verifierContract;
        info.metadataURI = r.metadataURI;
        info.wasmSize = r.wasmSize;
        info.verificationKeySize = r.verificationKeySize;
        info.deprecated = r.deprecated;
        info.successor = r.successor;
    }

    /// The canonical WASM bytes; keccak256 of the result equals `id`.
    function getWasm(bytes32 id) external view returns (bytes memory) {
        Record storage r = records_[id];
        if (r.developer == address(0)) revert UnknownExtension(id);
        return ChunkedStore.read(r.wasmChunks, r.wasmSize);
    }

    function getVerificationKey(bytes32 id) external view returns (bytes memory) {
        Record storage r = records_[id];
        if (r.developer == address(0)) revert UnknownExtension(id);
        return ChunkedStore.read(r.verificationKeyChunks, r.verificationKeySize);
    }

    /// Cheap read for the ConsensusContract (no strings, no blobs).
    function verifierInfo(bytes32 id)
        external
        view
        returns (bool registered, bool deprecated, Mode mode, address verifierContract)
    {
        Record storage r = records_[id];
        return (r.developer != address(0), r.deprecated, r.mode, r.verifierContract);
    }

    function _ownedBy(bytes32 id, address caller) private view returns (Record storage r) {
        r = records_[id];
        if (r.developer == address(0)) revert UnknownExtension(id);
        if (r.developer != caller) revert NotDeveloper(id, caller);
    }

    function _checkVerifier(VerifierMetadata calldata v) private view {
        if (bytes(v.zkSystem).length == 0) revert BadVerifierMetadata("zkSystem is empty");
        bool isGroth16 = keccak256(bytes(v.zkSystem)) == keccak256(bytes(GROTH16));
        if (v.mode == Mode.Universal) {
            if (v.verifierContract != address(0)) {
                revert BadVerifierMetadata("Universal mode takes no verifier contract");
            }
            if (isGroth16) revert BadVerifierMetadata("Universal mode is the zkWASM STARK, not groth16");
            return;
        }
        if (v.verificationKey.length == 0) revert BadVerifierMetadata("Custom mode needs a verification key");
        if (isGroth16) {
            if (v.verifierContract == address(0)) {
                revert BadVerifierMetadata("groth16 needs a verifier contract");
            }
            if (v.verifierContract.code.length == 0) {
                revert BadVerifierMetadata("verifier contract has no code");
            }
        } else if (v.verifierContract != address(0)) {
            revert BadVerifierMetadata("only groth16 is verified on-chain");
        }
    }
}
