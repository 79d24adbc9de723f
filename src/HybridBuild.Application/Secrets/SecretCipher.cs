namespace HybridBuild.Application.Secrets;

/// <summary>
/// AES-256-GCM under the configured master key. The secret's name is the associated data, so a ciphertext moved to
/// another name does not decrypt. Layout: version (1) | nonce (12) | tag (16) | ciphertext.
/// </summary>
internal sealed class SecretCipher(IOptions<SecretOptions> options)
{
    private const byte Version = 1;
    private const int NonceSize = 12, TagSize = 16, Header = 1 + NonceSize + TagSize;

    public bool Configured => Key() is not null;

    public byte[] Encrypt(string name, byte[] plaintext)
    {
        using var aes = new AesGcm(RequireKey(), TagSize);
        var sealedBox = new byte[Header + plaintext.Length];
        sealedBox[0] = Version;
        var nonce = sealedBox.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        aes.Encrypt(nonce, plaintext, sealedBox.AsSpan(Header), sealedBox.AsSpan(1 + NonceSize, TagSize), Encoding.UTF8.GetBytes(name));
        return sealedBox;
    }

    public byte[] Decrypt(string name, byte[] sealedBox)
    {
        if (sealedBox.Length < Header || sealedBox[0] != Version)
            throw new CryptographicException($"secret '{name}' is not in a format this service can read");
        using var aes = new AesGcm(RequireKey(), TagSize);
        var plaintext = new byte[sealedBox.Length - Header];
        aes.Decrypt(sealedBox.AsSpan(1, NonceSize), sealedBox.AsSpan(Header), sealedBox.AsSpan(1 + NonceSize, TagSize), plaintext, Encoding.UTF8.GetBytes(name));
        return plaintext;
    }

    private byte[] RequireKey() => Key() ?? throw new InvalidOperationException("Secrets:MasterKey is not configured.");

    // read once: the key file is a start-up setting, and every encryption and decryption needs the key
    private readonly Lazy<byte[]?> _key = new(() => options.Value.ResolvedMasterKey is { Length: > 0 } key ? Convert.FromBase64String(key) : null);

    private byte[]? Key() => _key.Value;

    public static bool IsValidKey(string? key)
    {
        if (string.IsNullOrEmpty(key)) return true;
        Span<byte> bytes = stackalloc byte[64];
        return Convert.TryFromBase64String(key, bytes, out var written) && written == 32;
    }
}
