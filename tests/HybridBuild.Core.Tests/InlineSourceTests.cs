namespace HybridBuild.Core.Tests;

/// <summary>Inline files: paths that collide, or that an archive could not hold, are a 400 at submission.</summary>
public class InlineSourceTests
{
    private static InlineSourceSpec Files(params string[] paths) =>
        new() { Files = paths.Prepend("Dockerfile").Distinct().ToDictionary(p => p, _ => "content") };

    private static IReadOnlyDictionary<string, string[]> Validate(InlineSourceSpec inline) =>
        SpecValidator.Validate(new BuildSpec { Source = new SourceSpec { Inline = inline }, Stages = [new StageSpec { Name = "a" }] }, false, out _);

    private static string Refused(InlineSourceSpec inline)
    {
        var errors = Validate(inline);
        Assert.Equal(["source.inline.files"], errors.Keys);
        return Assert.Single(errors["source.inline.files"]);
    }

    [Fact]
    public void Files_at_distinct_paths_pass()
    {
        Assert.Empty(Validate(Files("a/b", "a/c", "a-b", "ab/c")));
    }

    [Fact]
    public void A_file_that_is_also_the_folder_of_another_is_refused_whichever_comes_first()
    {
        var message = Refused(Files("a", "a/b/c"));
        Assert.Equal("'a/b/c' is inside 'a', which is a file too", message);

        // a dictionary keeps no order, but the message does not depend on it
        var inline = new InlineSourceSpec { Files = new() { ["a/b/c"] = "x", ["Dockerfile"] = "y", ["a"] = "z" } };
        Assert.Equal(message, Refused(inline));
    }

    [Fact]
    public void The_Dockerfile_as_the_folder_of_another_file_is_refused()
    {
        Assert.Contains("'Dockerfile'", Refused(Files("Dockerfile/x")));
    }

    [Theory]
    [InlineData("a", "a/")]
    [InlineData("a/b", "a//b")]
    [InlineData("a/b", "a/b/")]
    public void Two_paths_that_are_one_file_once_normalised_are_refused(string one, string other)
    {
        var message = Refused(Files(one, other));

        Assert.Contains("is the same path as", message);
        Assert.Contains($"'{one}'", message);
        Assert.Contains($"'{other}'", message);
    }

    [Fact]
    public void A_segment_of_255_bytes_passes_and_one_of_256_is_refused()
    {
        Assert.Empty(Validate(Files("d/" + new string('é', 127) + "x")));

        Assert.Contains("segment longer than 255 bytes", Refused(Files("d/" + new string('é', 128))));
    }

    [Fact]
    public void A_path_of_4096_bytes_passes_and_a_longer_one_is_refused()
    {
        var longest = string.Join('/', Enumerable.Repeat(new string('p', 240), 17)); // 17 * 240 + 16 = 4096 bytes
        Assert.Equal(4096, System.Text.Encoding.UTF8.GetByteCount(longest));
        Assert.Empty(Validate(Files(longest)));

        Assert.Contains("longer than 4096 bytes", Refused(Files("q" + longest)));
    }

    [Fact]
    public void A_path_deeper_than_an_archive_may_be_is_refused()
    {
        Assert.Empty(Validate(Files(string.Join('/', Enumerable.Repeat("d", PathRules.DefaultMaxDepth)))));

        Assert.Contains($"more than {PathRules.DefaultMaxDepth} segments", Refused(Files(string.Join('/', Enumerable.Repeat("d", PathRules.DefaultMaxDepth + 1)))));
    }

    [Theory]
    [InlineData("a\0b")]
    [InlineData("run.sh\n")]
    [InlineData("\u001b[31mred")]
    [InlineData("nel\u0085")]
    public void A_path_with_a_control_character_is_refused_and_quoted_without_it(string path)
    {
        var message = Refused(Files(path));

        Assert.Contains("control character", message);
        Assert.DoesNotContain(message, char.IsControl);
    }

    [Fact]
    public void The_Dockerfile_and_executables_are_found_by_their_normalised_path()
    {
        var inline = new InlineSourceSpec
        {
            Files = new() { ["build//Dockerfile"] = "FROM scratch\n", ["bin/run.sh"] = "#!/bin/sh\n" },
            Executables = ["bin//run.sh"],
        };
        var spec = new BuildSpec { Source = new SourceSpec { Inline = inline }, Dockerfile = "build/Dockerfile", Stages = [new StageSpec { Name = "a" }] };

        Assert.Empty(SpecValidator.Validate(spec, false, out _));
    }

    [Fact]
    public async Task What_validation_accepts_packs_into_an_archive_that_extraction_accepts_with_its_modes()
    {
        var deep = string.Join('/', Enumerable.Repeat(new string('p', 255), 16)); // 4095 bytes, 16 segments
        var inline = new InlineSourceSpec
        {
            Files = new() { ["Dockerfile"] = "FROM scratch\n", ["dir//run.sh"] = "#!/bin/sh\n", [deep] = "deep" },
            Executables = ["dir/run.sh"],
        };
        Assert.Empty(Validate(inline));

        using var packed = new MemoryStream();
        await InlineContext.WriteAsync(inline, packed, CancellationToken.None);
        packed.Position = 0;
        var files = await ContextArchive.ValidateAsync(packed, gzip: true, new ContextLimits(), CancellationToken.None);

        Assert.Equal(["Dockerfile", "dir/run.sh", deep], files.Order(StringComparer.Ordinal));
        packed.Position = 0;
        await using var gzip = new GZipStream(packed, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        var modes = new Dictionary<string, UnixFileMode>();
        while (await reader.GetNextEntryAsync() is { } entry) modes[entry.Name] = entry.Mode;
        Assert.Equal((UnixFileMode)0b111_101_101, modes["dir/run.sh"]);
        Assert.Equal((UnixFileMode)0b110_100_100, modes["Dockerfile"]);
    }

    [Fact]
    public async Task Colliding_inline_files_would_have_been_refused_only_when_the_stage_extracts_them()
    {
        // why the validator looks: the packed archive is refused, but that happens when the stage runs
        var inline = Files("a", "a/b");
        using var packed = new MemoryStream();
        await InlineContext.WriteAsync(inline, packed, CancellationToken.None);
        packed.Position = 0;

        await Assert.ThrowsAsync<Errors.InvalidContextException>(() =>
            ContextArchive.ValidateAsync(packed, gzip: true, new ContextLimits(), CancellationToken.None));
        Assert.NotEmpty(Validate(inline));
    }
}
