using System.Text;
using HybridBuild.Core.Errors;
using static HybridBuild.Core.Tests.TestTars;

namespace HybridBuild.Core.Tests;

/// <summary>Entry and link names: their length, depth, segments and characters, checked before any per-folder work.</summary>
public sealed class ContextArchiveNameTests : IDisposable
{
    private static readonly ContextLimits Limits = new();

    private readonly string _work = Path.Combine(Path.GetTempPath(), "hb-ctx-names-" + Guid.NewGuid().ToString("N"));
    private string Destination => Path.Combine(_work, "ctx");

    public void Dispose()
    {
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }

    private static void AddFile(TarWriter writer, string name, string content = "x") =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });

    private static void AddEntry(TarWriter writer, TarEntryType type, string name, string? link = null)
    {
        var entry = new PaxTarEntry(type, name);
        if (link is not null) entry.LinkName = link;
        writer.WriteEntry(entry);
    }

    private static Task<IReadOnlySet<string>> Validate(MemoryStream archive, ContextLimits? limits = null, bool gzip = false) =>
        ContextArchive.ValidateAsync(archive, gzip, limits ?? Limits, CancellationToken.None);

    private Task Extract(MemoryStream archive, ContextLimits? limits = null, bool gzip = false) =>
        ContextArchive.ExtractAsync(archive, gzip, Destination, limits ?? Limits, CancellationToken.None);

    /// <summary>Validation and extraction both refuse with a 400 whose message shows no folder of this machine.</summary>
    private async Task<InvalidContextException> AssertRefused(Func<MemoryStream> archive, ContextLimits? limits = null, bool gzip = false)
    {
        var validated = await Assert.ThrowsAsync<InvalidContextException>(() => Validate(archive(), limits, gzip));
        var extracted = await Assert.ThrowsAsync<InvalidContextException>(() => Extract(archive(), limits, gzip));
        foreach (var error in new[] { validated, extracted })
        {
            Assert.Equal(400, error.Status);
            AssertShowsNoServerPath(error.Message);
        }
        return extracted;
    }

    private void AssertShowsNoServerPath(string message)
    {
        Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), message);
        Assert.DoesNotContain(_work, message);
        Assert.DoesNotContain(Environment.CurrentDirectory, message);
    }

    private static string Segments(int count, int length, char c = 'a') => string.Join('/', Enumerable.Repeat(new string(c, length), count));

    [Fact]
    public async Task A_tiny_gzip_holding_one_32_KB_PAX_path_is_refused_as_a_bad_context_naming_the_entry()
    {
        var path = Segments(16 * 1024, 1); // a/a/a/...: 32 KB and 16 384 segments, which compresses to almost nothing
        Func<MemoryStream> archive = () => Tar(w => AddFile(w, path), gzip: true);
        Assert.True(archive().Length < 1024, $"the archive should be tiny, it is {archive().Length} bytes");

        var error = await AssertRefused(archive, gzip: true);

        Assert.StartsWith("Entry 'a/a/a/", error.Message);
        Assert.Contains("more than 256 segments", error.Message);
        Assert.True(error.Message.Length < 400, "the message quotes a bounded part of the name");
    }

    [Fact]
    public async Task A_path_longer_than_4096_bytes_is_refused_even_with_few_segments()
    {
        var path = Segments(20, 250); // 5019 bytes in 20 segments
        var error = await AssertRefused(() => Tar(w => AddFile(w, path)));

        Assert.Contains("longer than 4096 bytes", error.Message);
    }

    [Fact]
    public async Task Length_is_counted_in_UTF_8_bytes()
    {
        // 'é' is one character but two bytes: 21 segments of 100 of them pass 4096 bytes, 20 do not
        var e = new string('é', 100);
        var fits = string.Join('/', Enumerable.Repeat(e, 20));
        Assert.Contains(fits, await Validate(Tar(w => AddFile(w, fits))));
        var error = await AssertRefused(() => Tar(w => AddFile(w, string.Join('/', Enumerable.Repeat(e, 21)))));

        Assert.Contains("longer than 4096 bytes", error.Message);
    }

    [Fact]
    public async Task A_segment_of_255_bytes_is_accepted_and_one_of_256_is_refused()
    {
        Assert.Contains("d/" + new string('f', 255), await Validate(Tar(w => AddFile(w, "d/" + new string('f', 255)))));

        var error = await AssertRefused(() => Tar(w => AddFile(w, "d/" + new string('f', 256))));

        Assert.Contains("segment longer than 255 bytes", error.Message);
    }

    [Fact]
    public async Task A_path_deeper_than_the_configured_depth_is_refused()
    {
        var limits = new ContextLimits { MaxPathDepth = 4 };
        Assert.Contains("a/b/c/file", await Validate(Tar(w => AddFile(w, "a/b/c/file")), limits));

        var error = await AssertRefused(() => Tar(w => AddFile(w, "a/b/c/d/file")), limits);

        Assert.Equal("Entry 'a/b/c/d/file' has a path that has more than 4 segments.", error.Message);
    }

    [Fact]
    public async Task Dot_segments_count_toward_the_depth()
    {
        var limits = new ContextLimits { MaxPathDepth = 4 };

        await AssertRefused(() => Tar(w => AddFile(w, "./././././file")), limits);
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink)]
    [InlineData(TarEntryType.HardLink)]
    public async Task A_link_whose_target_is_longer_than_4096_bytes_or_too_deep_is_refused(TarEntryType type)
    {
        var tooLong = await AssertRefused(() => Tar(w =>
        {
            AddFile(w, "f");
            AddEntry(w, type, "link", Segments(20, 250));
        }));
        var tooDeep = await AssertRefused(() => Tar(w =>
        {
            AddFile(w, "f");
            AddEntry(w, type, "link", Segments(16 * 1024, 1));
        }));

        Assert.Equal("Link 'link' has a target that is longer than 4096 bytes.", tooLong.Message);
        Assert.Equal("Link 'link' has a target that has more than 256 segments.", tooDeep.Message);
    }

    [Fact]
    public async Task A_link_target_with_a_NUL_is_refused()
    {
        // a PAX linkpath is length-prefixed, so it can carry a NUL that the kernel would cut the target at
        var error = await AssertRefused(() => Tar(w =>
        {
            AddFile(w, "f");
            AddEntry(w, TarEntryType.SymbolicLink, "link", "f\0/../../etc/passwd");
        }));

        Assert.Equal("Link 'link' has a NUL in its target.", error.Message);
    }

    [Fact]
    public async Task An_entry_name_with_a_NUL_is_refused()
    {
        // only a PAX path can carry one (a ustar name ends at the first NUL); the kernel would cut the name there
        var error = await AssertRefused(() => Tar(w => AddFile(w, "Dockerfile\0.hidden")));

        Assert.Equal("Entry 'Dockerfile?.hidden' has a control character (such as NUL or a newline) in its path.", error.Message);
    }

    [Theory]
    [InlineData("line\nbreak")]
    [InlineData("tab\there")]
    [InlineData("esc\u001b[31m")]
    [InlineData("del\u007f")]
    public async Task An_entry_name_with_another_control_character_is_refused(string name)
    {
        // in a ustar header, as TarReader refuses a newline inside a PAX record itself
        Func<MemoryStream> archive = () =>
        {
            var buffer = new MemoryStream();
            using (var writer = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream([1]) });
            buffer.Position = 0;
            return buffer;
        };

        var error = await AssertRefused(archive);

        Assert.Contains("control character", error.Message);
        Assert.DoesNotContain(error.Message, c => char.IsControl(c)); // quoted with '?' in its place
    }

    [Fact]
    public async Task An_entry_name_with_a_C1_control_character_is_refused()
    {
        var error = await AssertRefused(() => Tar(w => AddFile(w, "csi\u009b31m")));

        Assert.Contains("control character", error.Message);
    }

    [Fact]
    public async Task Folders_implied_by_paths_count_toward_the_entry_limit()
    {
        var limits = new ContextLimits { MaxEntries = 10 };
        Assert.Contains("1/2/3/4/5/6/7/8/9/file", await Validate(Tar(w => AddFile(w, "1/2/3/4/5/6/7/8/9/file")), limits));

        // one entry, but eleven folders on its way: extraction would create twelve paths
        await Assert.ThrowsAsync<PayloadTooLargeException>(() => Validate(Tar(w => AddFile(w, "1/2/3/4/5/6/7/8/9/10/11/file")), limits));
        await Assert.ThrowsAsync<PayloadTooLargeException>(() => Extract(Tar(w => AddFile(w, "1/2/3/4/5/6/7/8/9/10/11/file")), limits));
    }

    [Fact]
    public async Task Folders_a_link_target_leads_through_count_toward_the_entry_limit()
    {
        var limits = new ContextLimits { MaxEntries = 10 };

        await Assert.ThrowsAsync<PayloadTooLargeException>(() => Validate(Tar(w => AddEntry(w, TarEntryType.SymbolicLink, "l", "1/2/3/4/5/6/7/8/9/10/11/x")), limits));
    }

    [Fact]
    public async Task A_path_validation_accepts_but_too_long_under_the_extraction_folder_is_refused_without_showing_that_folder()
    {
        var path = Segments(16, 255, 'x'); // 4095 bytes: fits Linux on its own, not below another folder
        Assert.Contains(path, await Validate(Tar(w => AddFile(w, path))));

        var error = await Assert.ThrowsAsync<InvalidContextException>(() => Extract(Tar(w => AddFile(w, path))));

        Assert.StartsWith("Entry 'xxx", error.Message);
        Assert.Contains("too long", error.Message);
        AssertShowsNoServerPath(error.Message);
    }

    [Fact]
    public async Task An_entry_turning_an_extracted_directory_into_a_file_is_refused_naming_the_entry_not_the_server_path()
    {
        // hard link 'd' over the directory 'd' extracted before it: the message is the entry's, not where it was going
        var error = await Assert.ThrowsAsync<InvalidContextException>(() => Extract(Tar(w =>
        {
            AddFile(w, "f");
            AddEntry(w, TarEntryType.Directory, "d");
            AddEntry(w, TarEntryType.HardLink, "d", "f");
        })));

        Assert.Contains("'d'", error.Message);
        AssertShowsNoServerPath(error.Message);
    }

    // ---------- what ValidateAsync returns: the regular files, so a Dockerfile must be one ----------

    [Fact]
    public async Task Validation_returns_the_regular_files_and_hard_links_only()
    {
        var files = await Validate(Tar(w =>
        {
            AddEntry(w, TarEntryType.Directory, "./");
            AddFile(w, "./src//app.txt");
            AddEntry(w, TarEntryType.Directory, "docs/");
            AddEntry(w, TarEntryType.SymbolicLink, "link", "src/app.txt");
            AddEntry(w, TarEntryType.HardLink, "copy", "src/app.txt");
        }));

        Assert.Equal(["copy", "src/app.txt"], files.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(TarEntryType.Directory)]
    [InlineData(TarEntryType.SymbolicLink)]
    public async Task A_Dockerfile_that_is_not_a_regular_file_is_not_among_the_files(TarEntryType type)
    {
        var files = await Validate(Tar(w =>
        {
            AddFile(w, "real");
            AddEntry(w, type, "Dockerfile", type == TarEntryType.SymbolicLink ? "real" : null);
        }));

        Assert.DoesNotContain("Dockerfile", files);
    }

    [Fact]
    public async Task A_Dockerfile_that_is_only_a_folder_on_the_way_is_not_among_the_files()
    {
        var files = await Validate(Tar(w => AddFile(w, "Dockerfile/inner")));

        Assert.Equal(["Dockerfile/inner"], files);
    }

    [Fact]
    public async Task A_Dockerfile_that_is_a_regular_file_or_a_hard_link_is_among_the_files()
    {
        Assert.Contains("Dockerfile", await Validate(Tar(w => AddFile(w, "./Dockerfile", "FROM scratch\n"))));
        Assert.Contains("build/Dockerfile", await Validate(Tar(w =>
        {
            AddFile(w, "Dockerfile.common", "FROM scratch\n");
            AddEntry(w, TarEntryType.HardLink, "build/Dockerfile", "Dockerfile.common");
        })));
    }
}
