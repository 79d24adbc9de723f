namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>Build contexts made in memory, as a client would upload them.</summary>
public static class Contexts
{
    public static byte[] TarGz(IReadOnlyDictionary<string, string> files, params string[] executables)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var (path, content) in files)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    Mode = executables.Contains(path) ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                });
            }
        }
        return buffer.ToArray();
    }

    /// <summary>A context with one entry built by hand, for archives no honest client makes.</summary>
    public static byte[] TarWith(TarEntry entry, bool withDockerfile = true)
    {
        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            if (withDockerfile)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "Dockerfile") { DataStream = new MemoryStream("FROM scratch\n"u8.ToArray()) });
            tar.WriteEntry(entry);
        }
        return buffer.ToArray();
    }
}
