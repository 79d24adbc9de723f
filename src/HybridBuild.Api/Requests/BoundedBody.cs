namespace HybridBuild.Api.Requests;

/// <summary>Reads a request body (or a multipart section) into memory, refusing it with 413 as soon as it passes its limit.</summary>
internal static class BoundedBody
{
    /// <exception cref="PayloadTooLargeException">The body is longer than <paramref name="maxBytes"/>; <paramref name="what"/> names it.</exception>
    public static async Task<byte[]> ReadAsync(Stream body, int maxBytes, string what, CancellationToken cancellationToken, long? declaredLength = null)
    {
        if (declaredLength > maxBytes) throw TooLarge(what, maxBytes);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw TooLarge(what, maxBytes);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static PayloadTooLargeException TooLarge(string what, int maxBytes) => new($"{what} is larger than {maxBytes} bytes.");
}
