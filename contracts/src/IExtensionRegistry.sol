// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// What the ConsensusContract needs from the registry.
interface IExtensionRegistry {
    /// Universal: the zkWASM STARK with the one universal key (checked by the nodes' quorum).
    /// Custom: an Extension-specific proof system and key (groth16 is also checked on-chain).
    enum Mode {
        Universal,
        Custom
    }

    function verifierInfo(bytes32 id)
        external
        view
        returns (bool registered, bool deprecated, Mode mode, address verifierContract);
}
