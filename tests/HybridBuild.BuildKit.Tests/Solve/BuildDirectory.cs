using System.Formats.Tar;

namespace HybridBuild.BuildKit.Tests.Solve;

/// <summary>A scratch folder with a build context in <see cref="Context"/> and room for outputs; removed on dispose.</summary>
internal sealed class BuildDirectory : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hybridbuild-native-").FullName;

    public BuildDirectory() => Directory.CreateDirectory(Context);

    public string Context => Path.Combine(_root, "context");

    public string Output(string name) => Path.Combine(_root, name);

    public BuildDirectory With(string relativePath, string content)
    {
        var path = Path.Combine(Context, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return this;
    }

    /// <summary>Every file below <paramref name="directory"/> with its text, by relative path.</summary>
    public static Dictionary<string, string> Files(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(directory, f).Replace('\\', '/'), File.ReadAllText);

    /// <summary>Every regular file in a tar archive with its text, by entry name.</summary>
    public static async Task<Dictionary<string, string>> TarFiles(string archive)
    {
        var files = new Dictionary<string, string>();
        await using var stream = File.OpenRead(archive);
        await using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } data)
            {
                files[entry.Name.TrimStart('.', '/')] = await new StreamReader(data).ReadToEndAsync();
            }
        }
        return files;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
