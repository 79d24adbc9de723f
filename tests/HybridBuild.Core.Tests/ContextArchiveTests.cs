using System.Text;
using HybridBuild.Core.Errors;
using static HybridBuild.Core.Tests.TestTars;

namespace HybridBuild.Core.Tests;

public sealed class ContextArchiveTests : IDisposable
{
    private const UnixFileMode Mode644 = (UnixFileMode)0b110_100_100;
    private const UnixFileMode Mode755 = (UnixFileMode)0b111_101_101;
    private const UnixFileMode Mode600 = (UnixFileMode)0b110_000_000;

    private static readonly ContextLimits Limits = new();

    // work/ctx is the destination; work/outside is a neighbour that must stay untouched.
    private readonly string _work = Path.Combine(Path.GetTempPath(), "hb-ctx-tests-" + Guid.NewGuid().ToString("N"));
    private readonly string _destination;
    private readonly string _outside;

    public ContextArchiveTests()
    {
        _destination = Path.Combine(_work, "ctx");
        _outside = Path.Combine(_work, "outside");
        Directory.CreateDirectory(_outside);
    }

    public void Dispose()
    {
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }

    // ---------- archive building ----------

    private static void AddFile(TarWriter writer, string name, string content, UnixFileMode mode = Mode644) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = mode,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        });

    private static void AddDirectory(TarWriter writer, string name) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = Mode755 });

    private static void AddSymlink(TarWriter writer, string name, string target) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });

    private static void AddHardLink(TarWriter writer, string name, string target) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });

    private Task Extract(Stream archive, ContextLimits? limits = null, bool gzip = false) =>
        ContextArchive.ExtractAsync(archive, gzip, _destination, limits ?? Limits, CancellationToken.None);

    private static Task Validate(Stream archive, ContextLimits? limits = null, bool gzip = false) =>
        ContextArchive.ValidateAsync(archive, gzip, limits ?? Limits, CancellationToken.None);

    /// <summary>Both validation and extraction refuse the archive, and nothing lands outside the destination.</summary>
    private async Task<TException> AssertRefused<TException>(Func<MemoryStream> archive, ContextLimits? limits = null)
        where TException : Exception
    {
        await Assert.ThrowsAsync<TException>(() => Validate(archive(), limits));
        var error = await Assert.ThrowsAsync<TException>(() => Extract(archive(), limits));
        AssertNothingOutside();
        return error;
    }

    private void AssertNothingOutside()
    {
        Assert.Equal(["ctx", "outside"], Directory.EnumerateFileSystemEntries(_work).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
    }

    // ---------- accepted archives ----------

    [Fact]
    public async Task Files_directories_and_modes_are_extracted()
    {
        var archive = Tar(w =>
        {
            AddDirectory(w, "./");
            AddDirectory(w, "src/");
            AddFile(w, "src/app.txt", "hello");
            AddFile(w, "./run.sh", "#!/bin/sh\necho hi\n", Mode755);
            AddFile(w, "secret", "s", Mode600);
            AddDirectory(w, "empty/");
        });

        await Validate(archive);
        archive.Position = 0;
        await Extract(archive);

        Assert.Equal("hello", File.ReadAllText(Path.Combine(_destination, "src", "app.txt")));
        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(Path.Combine(_destination, "run.sh")));
        Assert.Equal(Mode755, File.GetUnixFileMode(Path.Combine(_destination, "run.sh")));
        Assert.Equal(Mode644, File.GetUnixFileMode(Path.Combine(_destination, "src", "app.txt")));
        Assert.Equal(Mode600, File.GetUnixFileMode(Path.Combine(_destination, "secret")));
        Assert.True(Directory.Exists(Path.Combine(_destination, "empty")));
        AssertNothingOutside();
    }

    [Fact]
    public async Task A_file_without_owner_read_or_write_permission_stays_readable_and_writable_by_the_owner()
    {
        await Extract(Tar(w => AddFile(w, "locked", "x", (UnixFileMode)0b000_100_100)));

        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(Path.Combine(_destination, "locked")));
    }

    [Fact]
    public async Task Relative_symlinks_that_stay_inside_are_extracted_as_links()
    {
        var archive = Tar(w =>
        {
            AddFile(w, "bin/tool", "tool", Mode755);
            AddSymlink(w, "tool", "bin/tool");
            AddSymlink(w, "bin/self", "../bin/tool");
            AddSymlink(w, "dir", "bin");
        });

        await Validate(archive);
        archive.Position = 0;
        await Extract(archive);

        Assert.Equal("bin/tool", new FileInfo(Path.Combine(_destination, "tool")).LinkTarget);
        Assert.Equal("tool", File.ReadAllText(Path.Combine(_destination, "tool")));
        Assert.Equal("tool", File.ReadAllText(Path.Combine(_destination, "bin", "self")));
        Assert.Equal("bin", new DirectoryInfo(Path.Combine(_destination, "dir")).LinkTarget);
        AssertNothingOutside();
    }

    [Fact]
    public async Task A_hard_link_to_an_earlier_file_is_extracted_as_a_copy()
    {
        await Extract(Tar(w =>
        {
            AddFile(w, "a/original", "data");
            AddHardLink(w, "b/copy", "./a/original");
        }));

        Assert.Equal("data", File.ReadAllText(Path.Combine(_destination, "b", "copy")));
    }

    [Fact]
    public async Task A_later_entry_replaces_an_earlier_file_of_the_same_name()
    {
        await Extract(Tar(w =>
        {
            AddFile(w, "f", "first");
            AddFile(w, "f", "second");
        }));

        Assert.Equal("second", File.ReadAllText(Path.Combine(_destination, "f")));
    }

    [Fact]
    public void Gzip_is_detected_by_its_magic_and_the_stream_is_rewound()
    {
        var gz = Tar(w => AddFile(w, "a", "a"), gzip: true);
        var plain = Tar(w => AddFile(w, "a", "a"));

        Assert.True(ContextArchive.IsGzip(gz));
        Assert.Equal(0, gz.Position);
        Assert.False(ContextArchive.IsGzip(plain));
        Assert.Equal(0, plain.Position);
        Assert.False(ContextArchive.IsGzip(new MemoryStream([0x1f])));
        Assert.False(ContextArchive.IsGzip(new MemoryStream()));
    }

    [Fact]
    public async Task A_gzip_compressed_archive_is_extracted()
    {
        var archive = Tar(w =>
        {
            AddFile(w, "Dockerfile", "FROM scratch\n");
            AddFile(w, "dir/run.sh", "x", Mode755);
        }, gzip: true);

        await ContextArchive.ValidateAsync(archive, ContextArchive.IsGzip(archive), Limits, CancellationToken.None);
        archive.Position = 0;
        await ContextArchive.ExtractAsync(archive, ContextArchive.IsGzip(archive), _destination, Limits, CancellationToken.None);

        Assert.Equal("FROM scratch\n", File.ReadAllText(Path.Combine(_destination, "Dockerfile")));
        Assert.Equal(Mode755, File.GetUnixFileMode(Path.Combine(_destination, "dir", "run.sh")));
    }

    [Fact]
    public async Task An_archive_made_by_git_archive_with_a_pax_global_header_is_accepted()
    {
        // `git archive` starts every tar with a pax global header named "pax_global_header"
        // carrying the commit id; Docker ignores such headers when it reads a context.
        var archive = Tar(w =>
        {
            w.WriteEntry(new PaxGlobalExtendedAttributesTarEntry(new Dictionary<string, string>
            {
                ["comment"] = "3f0c1f8e2b9d4a6c7e5f1a2b3c4d5e6f7a8b9c0d",
            }));
            AddFile(w, "Dockerfile", "FROM scratch\n");
        });
        RenameFirstHeader(archive, "pax_global_header");

        await Validate(archive);
        archive.Position = 0;
        await Extract(archive);

        Assert.Equal(["Dockerfile"], Directory.EnumerateFileSystemEntries(_destination).Select(Path.GetFileName));
    }

    /// <summary>Sets the name field of the first tar header and fixes its checksum.</summary>
    private static void RenameFirstHeader(MemoryStream archive, string name)
    {
        var header = archive.GetBuffer().AsSpan(0, 512);
        header[..100].Clear();
        Encoding.ASCII.GetBytes(name).CopyTo(header);
        header.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in header) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header[148..]);
        archive.Position = 0;
    }

    // ---------- refused archives ----------

    [Fact]
    public async Task An_entry_with_an_absolute_path_is_refused()
    {
        // an absolute path pointing into the neighbour folder, so a wrong extraction would be seen
        var name = Path.Combine(_outside, "evil");
        var error = await AssertRefused<InvalidContextException>(() => Tar(w => AddFile(w, name, "x")));
        Assert.Contains("absolute", error.Message);
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("a/../../evil")]
    [InlineData("./../outside/evil")]
    [InlineData("a/..")]
    public async Task An_entry_with_a_dot_dot_segment_is_refused(string name)
    {
        var error = await AssertRefused<InvalidContextException>(() => Tar(w =>
        {
            AddFile(w, "ok", "ok");
            AddFile(w, name, "x");
        }));
        Assert.Contains("'..'", error.Message);
    }

    [Fact]
    public async Task An_entry_with_a_backslash_is_refused()
    {
        await AssertRefused<InvalidContextException>(() => Tar(w => AddFile(w, "..\\evil", "x")));
    }

    [Fact]
    public async Task A_symlink_to_an_absolute_path_is_refused()
    {
        var error = await AssertRefused<InvalidContextException>(() => Tar(w => AddSymlink(w, "passwd", "/etc/passwd")));
        Assert.Contains("outside the context", error.Message);
    }

    [Theory]
    [InlineData("a/link", "../../outside")]
    [InlineData("link", "..")]
    [InlineData("a/b/link", "../x/../../../outside")]
    public async Task A_symlink_climbing_out_of_the_context_is_refused(string name, string target)
    {
        var error = await AssertRefused<InvalidContextException>(() => Tar(w =>
        {
            AddDirectory(w, "a/");
            AddSymlink(w, name, target);
        }));
        Assert.Contains("outside the context", error.Message);
        Assert.Null(new FileInfo(Path.Combine(_destination, name)).LinkTarget);
    }

    [Fact]
    public async Task A_symlink_whose_target_climbs_through_another_symlink_is_refused()
    {
        // "sub/up" -> ".." points at the context root, which is fine on its own. But "esc" -> "sub/up/.."
        // only looks like it stays inside when read as text: the kernel resolves sub/up first and the
        // ".." after it then leaves the context.
        Func<MemoryStream> archive = () => Tar(w =>
        {
            AddDirectory(w, "sub/");
            AddSymlink(w, "sub/up", "..");
            AddSymlink(w, "esc", "sub/up/..");
        });

        var error = await Record.ExceptionAsync(() => Extract(archive()));

        // ask the kernel (not a lexical resolver) what the link leads to: the neighbour folder is visible through it
        var escaped = Directory.Exists(Path.Combine(_destination, "esc", "outside"));
        Assert.True(error is InvalidContextException,
            $"extraction should have been refused, but it {(error is null ? "succeeded" : "threw " + error.GetType().Name)}; "
            + (escaped ? $"'ctx/esc' now leads to '{_work}', outside the context" : "'ctx/esc' was not created"));
    }

    [Fact]
    public async Task A_file_written_through_a_symlinked_directory_is_refused()
    {
        var error = await AssertRefused<InvalidContextException>(() => Tar(w =>
        {
            AddDirectory(w, "sub/");
            AddSymlink(w, "link", "sub");
            AddFile(w, "link/file", "x");
        }));
        Assert.Contains("symbolic link 'link'", error.Message);
        Assert.False(File.Exists(Path.Combine(_destination, "sub", "file")));
    }

    [Fact]
    public async Task A_file_written_through_a_nested_symlinked_directory_is_refused()
    {
        await AssertRefused<InvalidContextException>(() => Tar(w =>
        {
            AddDirectory(w, "a/sub/");
            AddSymlink(w, "a/link", "sub");
            AddFile(w, "a/link/deeper/file", "x");
        }));
        Assert.False(Directory.Exists(Path.Combine(_destination, "a", "sub", "deeper")));
    }

    [Fact]
    public async Task A_hard_link_to_an_unknown_file_is_refused()
    {
        var error = await AssertRefused<InvalidContextException>(() => Tar(w =>
        {
            AddFile(w, "a", "a");
            AddHardLink(w, "h", "nope");
        }));
        Assert.Contains("not an earlier file", error.Message);
    }

    [Fact]
    public async Task A_hard_link_to_a_file_that_comes_later_is_refused()
    {
        await AssertRefused<InvalidContextException>(() => Tar(w =>
        {
            AddHardLink(w, "h", "later");
            AddFile(w, "later", "x");
        }));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../outside/x")]
    public async Task A_hard_link_to_a_path_outside_is_refused(string target)
    {
        await AssertRefused<InvalidContextException>(() => Tar(w => AddHardLink(w, "h", target)));
    }

    [Fact]
    public async Task A_hard_link_to_a_symlink_is_refused()
    {
        await AssertRefused<InvalidContextException>(() => Tar(w =>
        {
            AddFile(w, "f", "x");
            AddSymlink(w, "s", "f");
            AddHardLink(w, "h", "s");
        }));
    }

    [Theory]
    [InlineData(TarEntryType.CharacterDevice)]
    [InlineData(TarEntryType.BlockDevice)]
    [InlineData(TarEntryType.Fifo)]
    public async Task Device_and_fifo_entries_are_refused(TarEntryType type)
    {
        var error = await AssertRefused<InvalidContextException>(() => Tar(w =>
        {
            AddFile(w, "ok", "ok");
            w.WriteEntry(new PaxTarEntry(type, "dev/thing"));
        }));
        Assert.Contains(type.ToString(), error.Message);
        Assert.False(Path.Exists(Path.Combine(_destination, "dev", "thing")));
    }

    [Fact]
    public async Task Bytes_that_are_not_a_tar_archive_are_refused()
    {
        var random = new Random(42);
        var garbage = new byte[4096];
        random.NextBytes(garbage);

        await AssertRefused<InvalidContextException>(() => new MemoryStream(garbage));
        await AssertRefused<InvalidContextException>(() => new MemoryStream("this is not a tar archive"u8.ToArray()));
    }

    [Fact]
    public async Task Bytes_that_are_not_gzip_are_refused_when_read_as_gzip()
    {
        var archive = Tar(w => AddFile(w, "a", "a"));

        await Assert.ThrowsAsync<InvalidContextException>(() => Validate(archive, gzip: true));
    }

    [Theory]
    [InlineData(700)]   // inside the pax extended header of the first entry
    [InlineData(3536)]  // inside the data of the file
    public async Task A_truncated_archive_is_refused(int length)
    {
        var whole = Tar(w => AddFile(w, "big", new string('x', 5000))).ToArray();

        await Assert.ThrowsAsync<InvalidContextException>(() => Validate(new MemoryStream(whole[..length])));
        await Assert.ThrowsAsync<InvalidContextException>(() => Extract(new MemoryStream(whole[..length])));
    }

    [Fact]
    public async Task An_empty_archive_is_refused()
    {
        var error = await AssertRefused<InvalidContextException>(() => Tar(_ => { }));
        Assert.Contains("empty", error.Message);
        await AssertRefused<InvalidContextException>(() => new MemoryStream());
    }

    [Fact]
    public async Task More_entries_than_allowed_are_refused_as_too_large()
    {
        var limits = new ContextLimits { MaxEntries = 3 };
        Func<MemoryStream> archive = () => Tar(w =>
        {
            for (var i = 0; i < 4; i++) AddFile(w, $"f{i}", "x");
        });

        await AssertRefused<PayloadTooLargeException>(archive, limits);

        var three = Tar(w =>
        {
            for (var i = 0; i < 3; i++) AddFile(w, $"f{i}", "x");
        });
        await Validate(three, limits);
    }

    [Fact]
    public async Task More_bytes_than_allowed_are_refused_as_too_large()
    {
        var limits = new ContextLimits { MaxExtractedBytes = 10 };

        await AssertRefused<PayloadTooLargeException>(() => Tar(w =>
        {
            AddFile(w, "a", "12345");
            AddFile(w, "b", "123456");
        }), limits);
        Assert.False(File.Exists(Path.Combine(_destination, "b")));

        await Validate(Tar(w =>
        {
            AddFile(w, "a", "12345");
            AddFile(w, "b", "12345");
        }), limits);
    }
    [Fact]
    public async Task A_huge_PAX_header_is_refused_before_it_is_read_into_memory()
    {
        var error = await AssertRefused<InvalidContextException>(() => Tar(w =>
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "big", new Dictionary<string, string> { ["comment"] = new string('x', 2 << 20) })
            {
                DataStream = new MemoryStream([1]),
            };
            w.WriteEntry(entry);
        }));
        Assert.Contains("metadata entry", error.Message);
    }

    [Fact]
    public async Task Hard_links_count_the_size_of_what_they_copy()
    {
        var limits = new ContextLimits { MaxExtractedBytes = 2500 };
        await AssertRefused<PayloadTooLargeException>(() => Tar(w =>
        {
            AddFile(w, "data", new string('z', 1000));
            AddHardLink(w, "copy1", "data");
            AddHardLink(w, "copy2", "data");
        }), limits);
    }

    [Fact]
    public async Task A_link_created_where_an_earlier_link_passes_through_is_refused()
    {
        var error = await AssertRefused<InvalidContextException>(() => Tar(w =>
        {
            AddSymlink(w, "esc", "l/l/l/../../../x");
            AddSymlink(w, "l", ".");
        }));
        Assert.Contains("redirect", error.Message);
    }

    [Fact]
    public async Task An_entry_that_changes_kind_or_sits_under_a_file_is_refused_by_validation_too()
    {
        await Assert.ThrowsAsync<InvalidContextException>(() => Validate(Tar(w =>
        {
            AddDirectory(w, "d");
            AddSymlink(w, "d", "elsewhere");
        })));
        await Assert.ThrowsAsync<InvalidContextException>(() => Validate(Tar(w =>
        {
            AddFile(w, "f", "x");
            AddFile(w, "f/child", "y");
        })));
    }
    /// <summary>A raw ustar header block, for archives TarWriter will not write.</summary>
    private static byte[] RawHeader(string name, char type, long size, byte[]? sizeField = null)
    {
        var block = new byte[512];
        System.Text.Encoding.ASCII.GetBytes(name).CopyTo(block, 0);
        System.Text.Encoding.ASCII.GetBytes("0000644\0").CopyTo(block, 100);
        (sizeField ?? System.Text.Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0")).CopyTo(block, 124);
        System.Text.Encoding.ASCII.GetBytes("00000000000\0").CopyTo(block, 136);
        block[156] = (byte)type;
        System.Text.Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(block, 257);
        for (var i = 148; i < 156; i++) block[i] = (byte)' ';
        var sum = block.Sum(b => b);
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(block, 148);
        return block;
    }

    private static byte[] Padded(byte[] data) => [.. data, .. new byte[(512 - data.Length % 512) % 512]];

    [Fact]
    public async Task A_GNU_long_name_followed_by_a_PAX_header_is_refused()
    {
        var pax = System.Text.Encoding.ASCII.GetBytes("11 size=0\n");
        byte[] archive = [.. RawHeader("././@LongLink", 'L', 3), .. Padded("./\0"u8.ToArray()),
            .. RawHeader("pax", 'x', pax.Length), .. Padded(pax), .. RawHeader("f", '0', 0), .. new byte[1024]];

        var error = await Assert.ThrowsAsync<InvalidContextException>(() => Validate(new MemoryStream(archive)));
        Assert.Contains("GNU long-name and PAX", error.Message);
    }

    [Fact]
    public async Task A_size_that_does_not_fit_in_63_bits_is_refused()
    {
        var field = new byte[12];
        field[0] = 0x80;
        field[1] = 0x7F; // base-256, far beyond any real file
        byte[] archive = [.. RawHeader("f", '0', 0, field), .. new byte[1024]];

        await Assert.ThrowsAsync<InvalidContextException>(() => Validate(new MemoryStream(archive)));
    }

    [Fact]
    public async Task A_file_replacing_a_folder_implied_by_an_earlier_path_is_refused_and_so_is_a_hard_link_to_itself()
    {
        await Assert.ThrowsAsync<InvalidContextException>(() => Validate(Tar(w =>
        {
            AddFile(w, "a/f", "x");
            AddFile(w, "a", "y");
        })));
        await Assert.ThrowsAsync<InvalidContextException>(() => Validate(Tar(w =>
        {
            AddFile(w, "a", "x");
            AddHardLink(w, "b", "b");
        })));
    }

    [Theory]
    [InlineData("uid=99999999999")]
    [InlineData("size=99999999999999999999")]
    [InlineData("mtime=1e30")]
    public async Task Unreadable_numbers_in_PAX_records_are_a_bad_archive_not_a_crash(string record)
    {
        var line = $"{record.Length + 4} {record}\n";
        if (line.Length != record.Length + 4) line = $"{record.Length + 5} {record}\n";
        var pax = System.Text.Encoding.ASCII.GetBytes(line);
        byte[] archive = [.. RawHeader("pax", 'x', pax.Length), .. Padded(pax), .. RawHeader("f", '0', 1), .. Padded([1]), .. new byte[1024]];

        var error = await Record.ExceptionAsync(() => Validate(new MemoryStream(archive)));

        Assert.True(error is null or InvalidContextException or PayloadTooLargeException, $"a bad record must not escape as {error?.GetType().Name}: {error?.Message}");
    }
}
