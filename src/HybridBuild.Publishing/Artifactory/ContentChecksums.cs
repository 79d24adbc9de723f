using System.Buffers;
using System.Security.Cryptography;

namespace HybridBuild.Publishing.Artifactory;

/// <summary>The SHA-1 and SHA-256 of a file's content, lower-case hex.</summary>
internal sealed record ContentChecksums(string Sha1, string Sha256)
{
    /// <summary>
    /// Reads the whole content once. Artifactory wants <c>X-Checksum-Sha1</c> in the headers, before the body,
    /// and our artifacts only record SHA-256, so this costs one extra full read of the blob per publish (a local
    /// disk read for the file store, a full download for a remote store). The same pass re-checks the recorded
    /// SHA-256 and size, so a corrupted blob is refused before anything is sent.
    /// </summary>
    public static async Task<ContentChecksums> ComputeAsync(PublishFile file, CancellationToken ct)
    {
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
        long length = 0;
        try
        {
            await using var stream = await file.OpenContent(ct).ConfigureAwait(false);
            int read;
            while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                sha1.AppendData(buffer, 0, read);
                sha256.AppendData(buffer, 0, read);
                length += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var checksums = new ContentChecksums(
            Convert.ToHexStringLower(sha1.GetHashAndReset()), Convert.ToHexStringLower(sha256.GetHashAndReset()));
        if (length != file.Size || !string.Equals(checksums.Sha256, file.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new PublishException(
                $"The stored content of '{file.Path}' is {length} bytes with SHA-256 {checksums.Sha256}, " +
                $"not the recorded {file.Size} bytes with SHA-256 {file.Sha256}; nothing was published.", null, null);
        return checksums;
    }
}
