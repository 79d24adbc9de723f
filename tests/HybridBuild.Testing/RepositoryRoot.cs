namespace HybridBuild.Testing;

/// <summary>The checkout the tests run from: the folder above the test assembly that holds HybridBuildService.sln.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    /// <summary>A path under the repository, from its parts.</summary>
    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(System.IO.Path.Combine(folder.FullName, "HybridBuildService.sln"))) return folder.FullName;
        throw new InvalidOperationException($"No HybridBuildService.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }
}
