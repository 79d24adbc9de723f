using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace HybridBuild.Publishing.Oci;

/// <summary>
/// sha256 digests as registries write them. Every digest read from a manifest is checked here before it goes into a
/// URL path, so a hostile manifest cannot steer a request elsewhere.
/// </summary>
internal static partial class OciDigest
{
    public static bool IsValid(string? digest) => digest is not null && Pattern().IsMatch(digest);

    public static string Of(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex Pattern();
}
