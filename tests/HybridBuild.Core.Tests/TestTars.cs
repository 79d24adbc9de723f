namespace HybridBuild.Core.Tests;

/// <summary>Build contexts written in memory, as a client uploads them.</summary>
internal static class TestTars
{
    /// <summary>
    /// A PAX tar of what <paramref name="write"/> writes, positioned at its start; gzip-compressed at the smallest size
    /// when <paramref name="gzip"/>, so a test can make a tiny archive of a large but repetitive entry.
    /// </summary>
    public static MemoryStream Tar(Action<TarWriter> write, bool gzip = false)
    {
        var buffer = new MemoryStream();
        var target = gzip ? new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true) : (Stream)buffer;
        using (var writer = new TarWriter(target, TarEntryFormat.Pax, leaveOpen: true))
            write(writer);
        if (gzip) target.Dispose();
        buffer.Position = 0;
        return buffer;
    }
}
