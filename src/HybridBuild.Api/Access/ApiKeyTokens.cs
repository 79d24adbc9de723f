using System.Security.Cryptography;

namespace HybridBuild.Api.Access;

/// <summary>API keys: <c>hbk_</c> and 256 random bits; stored as their SHA-256, compared in constant time.</summary>
internal static class ApiKeyTokens
{
    public const string Prefix = "hbk_";

    public static string Generate() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static bool SameHash(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
