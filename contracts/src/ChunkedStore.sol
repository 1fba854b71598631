// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Stores immutable blobs as the code of data contracts ("SSTORE2"): each chunk's runtime code is
/// 0x00 (STOP, so it cannot be called meaningfully) followed by up to CHUNK bytes; EIP-170 caps
/// runtime code at 24576 bytes.
library ChunkedStore {
    uint256 internal constant CHUNK = 24575;

    error ChunkDeployFailed(uint256 index);

    function write(bytes calldata data) internal returns (address[] memory chunks) {
        uint256 n = (data.length + CHUNK - 1) / CHUNK;
        chunks = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 start = i * CHUNK;
            uint256 end = start + CHUNK < data.length ? start + CHUNK : data.length;
            // Init code: PUSH2 len, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY, RETURNDATASIZE,
            // RETURN -- copies the 0x00-prefixed payload that follows it and returns it as code.
            bytes memory init = abi.encodePacked(
                hex"61", uint16(end - start + 1), hex"80600a3d393df3", hex"00", data[start:end]
            );
            address a;
            assembly ("memory-safe") {
                a := create(0, add(init, 0x20), mload(init))
            }
            if (a == address(0)) revert ChunkDeployFailed(i);
            chunks[i] = a;
        }
    }

    function read(address[] storage chunks, uint256 size) internal view returns (bytes memory out) {
        out = new bytes(size);
        uint256 n = chunks.length;
        uint256 offset = 0;
        for (uint256 i = 0; i < n; ++i) {
            address a = chunks[i];
            uint256 len = a.code.length - 1;
            assembly ("memory-safe") {
                extcodecopy(a, add(add(out, 0x20), offset), 1, len)
            }
            offset += len;
        }
    }
}
