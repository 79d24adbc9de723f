namespace HybridBuild.Api.Tests;

/// <summary>A stage's scratch folder and an upload's spool file are gone once they are done with, even when the export holds a folder no one may write.</summary>
[Collection(LiveService.Name)]
public sealed class WorkDirectoryTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    [Fact]
    public async Task An_uploaded_build_leaves_no_spool_file_and_its_stage_no_scratch_folder_in_the_work_directory()
    {
        var context = Contexts.TarGz(new Dictionary<string, string>
        {
            ["Dockerfile"] = $"""
                FROM busybox AS make
                RUN mkdir -p /out/locked && echo {Guid.NewGuid():N} > /out/locked/file && chmod 555 /out/locked
                FROM scratch AS out
                COPY --from=make /out/ /
                """,
        });
        var build = await _api.SubmitAsync(new BuildSpec { Stages = [new StageSpec { Name = "out", Target = "out" }] }, context);

        var uploads = Path.Combine(service.WorkDirectory, "uploads");
        Assert.Empty(Directory.Exists(uploads) ? Directory.EnumerateFileSystemEntries(uploads) : []);
        var done = await _api.WaitSucceededAsync(build.Id);
        Assert.Equal("locked/file", done.Stages.Single().Artifacts!.Single().Path); // the export held the folder no one may write

        var runId = await RunIdAsync(build.Id);
        Assert.True(Directory.Exists(service.WorkDirectory), "the stage ran in the work directory");
        Assert.False(Directory.Exists(Path.Combine(service.WorkDirectory, runId.ToString("N"))), $"the scratch folder of run {runId} is left");
    }

    private Task<Guid> RunIdAsync(Guid buildId) =>
        Sql.ScalarAsync<Guid>(service.ConnectionString, "SELECT \"RunId\" FROM hybridbuild.stages WHERE \"BuildId\" = @id", ("id", buildId));
}
