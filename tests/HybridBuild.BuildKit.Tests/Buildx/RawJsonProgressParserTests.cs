namespace HybridBuild.BuildKit.Tests.Buildx;

public class RawJsonProgressParserTests
{
    private readonly RecordingProgress _progress = new();
    private readonly RawJsonProgressParser _parser;

    public RawJsonProgressParserTests() => _parser = new RawJsonProgressParser(_progress);

    private void FeedText(string text)
    {
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
            _parser.Feed(line);
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>One rawjson message the way buildx writes it: indented, over several lines.</summary>
    private static string LogMessage(string vertex, int stream, string text, string timestamp = "2026-11-28T03:50:04.93212887Z") => $$"""
        {
          "logs": [
            {
              "vertex": "{{vertex}}",
              "stream": {{stream}},
              "data": "{{B64(text)}}",
              "timestamp": "{{timestamp}}"
            }
          ]
        }
        """;

    private const string Sample = """
        {
          "vertexes": [
            {
              "digest": "sha256:aaa",
              "name": "[internal] load build definition from Dockerfile",
              "started": "2026-11-28T03:49:59.641341073Z"
            }
          ]
        }
        {
          "logs": [
            {
              "vertex": "sha256:aaa",
              "stream": 1,
              "data": "ZmFpbGluZwo=",
              "timestamp": "2026-11-28T03:50:04.93212887Z"
            }
          ]
        }
        ERROR: failed to solve: process "/bin/sh -c echo failing && exit 3" did not complete successfully: exit code: 3
        """;

    [Fact]
    public void The_buildx_sample_yields_a_step_a_decoded_log_line_and_the_engine_error()
    {
        FeedText(Sample);
        _parser.Complete();

        var step = Assert.Single(_progress.Steps);
        Assert.Equal("sha256:aaa", step.Id);
        Assert.Equal(1, step.Number);
        Assert.Equal("[internal] load build definition from Dockerfile", step.Name);
        Assert.False(step.Cached);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 3, 49, 59, TimeSpan.Zero).AddTicks(6413410), step.Started);
        Assert.Null(step.Completed);
        Assert.Null(step.Error);

        Assert.Equal(2, _progress.Lines.Count);
        var log = _progress.Lines[0];
        Assert.Equal("sha256:aaa", log.StepId);
        Assert.Equal(1, log.Stream);
        Assert.Equal("failing", log.Text);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 3, 50, 4, TimeSpan.Zero).AddTicks(9321288), log.Time);

        const string errorLine = "ERROR: failed to solve: process \"/bin/sh -c echo failing && exit 3\" did not complete successfully: exit code: 3";
        Assert.Equal(errorLine["ERROR: ".Length..], _parser.Error);
        var engineLog = _progress.Lines[1];
        Assert.Null(engineLog.StepId);
        Assert.Equal(2, engineLog.Stream);
        Assert.Equal(errorLine, engineLog.Text);
        Assert.Null(_parser.StepError);
    }

    [Fact]
    public void Steps_are_numbered_by_first_appearance_and_a_repeat_with_the_same_state_is_not_reported_again()
    {
        FeedText("""
            {
              "vertexes": [
                { "digest": "sha256:one", "name": "[1/2] FROM alpine", "started": "2026-11-28T03:50:00Z" },
                { "digest": "sha256:two", "name": "[2/2] RUN make", "started": "2026-11-28T03:50:01Z" }
              ]
            }
            {
              "vertexes": [
                { "digest": "sha256:one", "name": "[1/2] FROM alpine", "started": "2026-11-28T03:50:00Z" }
              ]
            }
            {
              "vertexes": [
                { "digest": "sha256:three", "name": "exporting to image", "started": "2026-11-28T03:50:02Z" },
                { "digest": "sha256:one", "name": "[1/2] FROM alpine", "started": "2026-11-28T03:50:00Z", "completed": "2026-11-28T03:50:03Z" }
              ]
            }
            """);

        Assert.Equal(
            [("sha256:one", 1), ("sha256:two", 2), ("sha256:three", 3), ("sha256:one", 1)],
            _progress.Steps.Select(s => (s.Id, s.Number)));
        var completed = _progress.Steps[^1];
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T03:50:03Z"), completed.Completed);
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T03:50:00Z"), completed.Started);
    }

    [Fact]
    public void A_repeated_completion_is_not_reported_twice()
    {
        const string done = """
            {
              "vertexes": [
                { "digest": "sha256:one", "name": "step", "started": "2026-11-28T03:50:00Z", "completed": "2026-11-28T03:50:03Z" }
              ]
            }
            """;
        FeedText(done);
        FeedText(done);

        Assert.Single(_progress.Steps);
    }

    [Fact]
    public void A_cached_step_is_reported_as_cached()
    {
        FeedText("""
            {
              "vertexes": [
                { "digest": "sha256:one", "name": "[2/3] COPY . /src", "started": "2026-11-28T03:50:00Z" }
              ]
            }
            {
              "vertexes": [
                { "digest": "sha256:one", "name": "[2/3] COPY . /src", "started": "2026-11-28T03:50:00Z", "completed": "2026-11-28T03:50:00Z", "cached": true }
              ]
            }
            """);

        Assert.Equal([false, true], _progress.Steps.Select(s => s.Cached));
    }

    [Fact]
    public void A_failed_step_carries_its_error_and_the_first_one_is_kept()
    {
        FeedText("""
            {
              "vertexes": [
                {
                  "digest": "sha256:run",
                  "name": "[2/2] RUN exit 3",
                  "started": "2026-11-28T03:50:00Z",
                  "completed": "2026-11-28T03:50:01Z",
                  "error": "process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3"
                },
                {
                  "digest": "sha256:other",
                  "name": "[1/2] RUN sleep 9",
                  "started": "2026-11-28T03:50:00Z",
                  "completed": "2026-11-28T03:50:01Z",
                  "error": "context canceled"
                }
              ]
            }
            """);

        Assert.Equal("process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3", _progress.Steps[0].Error);
        Assert.Equal("context canceled", _progress.Steps[1].Error);
        Assert.Equal("process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3", _parser.StepError);
        Assert.Null(_parser.Error);
    }

    [Fact]
    public void A_log_chunk_with_several_lines_is_split_at_newlines()
    {
        FeedText(LogMessage("sha256:v", 1, "one\r\ntwo\n\nthree\n"));

        Assert.Equal(["one", "two", "", "three"], _progress.Lines.Select(l => l.Text));
        Assert.All(_progress.Lines, l => Assert.Equal("sha256:v", l.StepId));
    }

    [Fact]
    public void A_partial_line_waits_for_the_rest_of_it_in_the_next_chunk()
    {
        FeedText(LogMessage("sha256:v", 1, "hel"));
        Assert.Empty(_progress.Lines);

        FeedText(LogMessage("sha256:v", 1, "lo\nwor"));
        Assert.Equal(["hello"], _progress.Lines.Select(l => l.Text));

        FeedText(LogMessage("sha256:v", 1, "ld\n"));
        Assert.Equal(["hello", "world"], _progress.Lines.Select(l => l.Text));

        _parser.Complete();
        Assert.Equal(2, _progress.Lines.Count);
    }

    [Fact]
    public void A_partial_line_is_emitted_on_complete()
    {
        FeedText(LogMessage("sha256:v", 2, "done\nno newline at the end"));
        Assert.Equal(["done"], _progress.Lines.Select(l => l.Text));

        _parser.Complete();

        Assert.Equal(["done", "no newline at the end"], _progress.Lines.Select(l => l.Text));
        Assert.Equal(("sha256:v", 2), (_progress.Lines[1].StepId, _progress.Lines[1].Stream));

        _parser.Complete();
        Assert.Equal(2, _progress.Lines.Count);
    }

    [Fact]
    public void Partial_lines_of_different_steps_and_streams_are_kept_apart()
    {
        FeedText(LogMessage("sha256:a", 1, "out-a "));
        FeedText(LogMessage("sha256:a", 2, "err-a "));
        FeedText(LogMessage("sha256:b", 1, "out-b "));
        FeedText(LogMessage("sha256:a", 1, "end\n"));
        FeedText(LogMessage("sha256:b", 1, "end\n"));
        FeedText(LogMessage("sha256:a", 2, "end\n"));

        Assert.Equal(
            [("sha256:a", 1, "out-a end"), ("sha256:b", 1, "out-b end"), ("sha256:a", 2, "err-a end")],
            _progress.Lines.Select(l => (l.StepId, l.Stream, l.Text)));
    }

    [Fact]
    public void A_multi_byte_character_split_across_chunks_is_decoded()
    {
        var bytes = Encoding.UTF8.GetBytes("é\n");
        FeedText($$"""{ "logs": [ { "vertex": "v", "stream": 1, "data": "{{Convert.ToBase64String(bytes[..1])}}" } ] }""");
        FeedText($$"""{ "logs": [ { "vertex": "v", "stream": 1, "data": "{{Convert.ToBase64String(bytes[1..])}}" } ] }""");

        Assert.Equal(["é"], _progress.Lines.Select(l => l.Text));
    }

    [Fact]
    public void Braces_and_quotes_inside_json_strings_do_not_break_parsing()
    {
        FeedText("""
            {
              "vertexes": [
                { "digest": "sha256:one", "name": "RUN echo {", "started": "2026-11-28T03:50:00Z" }
              ]
            }
            {
              "vertexes": [
                { "digest": "sha256:two", "name": "RUN echo \"}}\" '{' \\", "started": "2026-11-28T03:50:00Z" }
              ]
            }
            """);
        FeedText(LogMessage("sha256:two", 1, "{ not json }\n"));

        Assert.Equal(["RUN echo {", "RUN echo \"}}\" '{' \\"], _progress.Steps.Select(s => s.Name));
        Assert.Equal(["{ not json }"], _progress.Lines.Select(l => l.Text));
    }

    [Fact]
    public void Plain_text_between_messages_is_logged_as_engine_output()
    {
        FeedText("""
            Dockerfile:3
            --------------------
               2 |     FROM alpine
               3 | >>> RUN exit 3
            --------------------

            {
              "vertexes": [ { "digest": "sha256:one", "name": "x", "started": "2026-11-28T03:50:00Z" } ]
            }
            """);

        Assert.Equal(
            ["Dockerfile:3", "--------------------", "   2 |     FROM alpine", "   3 | >>> RUN exit 3", "--------------------"],
            _progress.Lines.Select(l => l.Text));
        Assert.All(_progress.Lines, l => Assert.Equal(((string?)null, 2), (l.StepId, l.Stream)));
        Assert.Single(_progress.Steps);
        Assert.Null(_parser.Error);
    }

    [Fact]
    public void A_compact_single_line_message_is_parsed()
    {
        _parser.Feed("""{"vertexes":[{"digest":"sha256:one","name":"x","started":"2026-11-28T03:50:00Z"}]}""");

        Assert.Equal("sha256:one", Assert.Single(_progress.Steps).Id);
    }

    [Fact]
    public void Only_the_first_engine_error_is_kept()
    {
        FeedText("""
            ERROR: failed to solve: first
            ERROR: second
            """);

        Assert.Equal("failed to solve: first", _parser.Error);
        Assert.Equal(2, _progress.Lines.Count);
    }

    [Fact]
    public void A_message_that_is_not_valid_json_is_logged_and_parsing_continues()
    {
        FeedText("""
            {
              "vertexes": [ oops ]
            }
            {
              "vertexes": [ { "digest": "sha256:one", "name": "x", "started": "2026-11-28T03:50:00Z" } ]
            }
            """);

        Assert.Contains("oops", Assert.Single(_progress.Lines).Text);
        Assert.Single(_progress.Steps);
    }

    [Fact]
    public void A_vertex_without_a_digest_is_ignored()
    {
        FeedText("""{ "vertexes": [ { "name": "no digest", "started": "2026-11-28T03:50:00Z" }, { "digest": "sha256:one", "name": "x", "started": "2026-11-28T03:50:00Z" } ] }""");

        var step = Assert.Single(_progress.Steps);
        Assert.Equal(1, step.Number);
    }
}
