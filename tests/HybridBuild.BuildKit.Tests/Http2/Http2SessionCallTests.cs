namespace HybridBuild.BuildKit.Tests.Http2;

public sealed class Http2SessionCallTests
{
    private const string MethodHeader = "X-Docker-Expose-Session-Grpc-Method";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Each_advertised_method_arrives_as_its_own_header_field()
    {
        var received = new TaskCompletionSource<IHeaderDictionary>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await SessionEndpointServer.StartAsync(context =>
        {
            var copy = new HeaderDictionary();
            foreach ((string name, StringValues values) in context.Request.Headers)
            {
                copy[name] = values;
            }
            received.TrySetResult(copy);
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "0");
            return Task.CompletedTask;
        });
        using var timeout = new CancellationTokenSource(Patience);
        string[] methods = ["/moby.filesync.v1.FileSync/DiffCopy", "/moby.filesync.v1.FileSend/DiffCopy", "/grpc.health.v1.Health/Check"];

        await using Stream tunnel = await server.OpenTunnelAsync(
            [.. methods.Select(m => KeyValuePair.Create(MethodHeader, m)), KeyValuePair.Create("X-Docker-Expose-Session-Name", "context, with a comma")],
            ct: timeout.Token);
        IHeaderDictionary headers = await received.Task.WaitAsync(timeout.Token);

        Assert.Equal(methods, headers[MethodHeader].ToArray());
        Assert.Equal(new StringValues("context, with a comma"), headers["x-docker-expose-session-name"]);
        Assert.Equal("application/grpc", headers.ContentType);
        Assert.Equal("trailers", headers["te"]);
    }

    [Theory]
    [InlineData(false, "http")]
    [InlineData(true, "https")]
    public async Task The_request_scheme_is_https_exactly_when_the_connection_is_TLS(bool secure, string scheme)
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The stand-in server is plain h2c; it is told to accept either scheme so that the one sent can be read.
        await using var server = await SessionEndpointServer.StartAsync(context =>
        {
            received.TrySetResult(context.Request.Scheme);
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "0");
            return Task.CompletedTask;
        }, options => options.AllowAlternateSchemes = true);
        using var timeout = new CancellationTokenSource(Patience);

        await using Stream tunnel = await server.OpenTunnelAsync(secure: secure, ct: timeout.Token);

        Assert.Equal(scheme, await received.Task.WaitAsync(timeout.Token));
    }

    [Fact]
    public async Task A_header_block_larger_than_one_frame_is_continued_in_continuation_frames()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await SessionEndpointServer.StartAsync(
            context =>
            {
                received.TrySetResult(context.Request.Headers["x-big"].ToString());
                return Task.CompletedTask;
            },
            options =>
            {
                options.Limits.MaxRequestHeadersTotalSize = 256 * 1024;
                options.Limits.Http2.MaxRequestHeaderFieldSize = 256 * 1024;
            });
        using var timeout = new CancellationTokenSource(Patience);
        string big = string.Concat(Enumerable.Range(0, 4000).Select(i => $"{i:D9}."));

        await using Stream tunnel = await server.OpenTunnelAsync([KeyValuePair.Create("x-big", big)], ct: timeout.Token);

        Assert.Equal(big, await received.Task.WaitAsync(timeout.Token));
    }

    [Fact]
    public async Task Bytes_written_come_back_in_order()
    {
        await using var server = await SessionEndpointServer.StartAsync(SessionEndpointServer.EchoAsync);
        using var timeout = new CancellationTokenSource(Patience);
        await using Stream tunnel = await server.OpenTunnelAsync(ct: timeout.Token);
        byte[][] writes = [[1], Pattern(300, seed: 2), Pattern(70_000, seed: 3), [4, 5, 6]];

        foreach (byte[] write in writes)
        {
            await tunnel.WriteAsync(write, timeout.Token);
        }
        byte[] echoed = await ReadExactlyAsync(tunnel, writes.Sum(w => w.Length), timeout.Token);

        Assert.Equal(writes.SelectMany(w => w), echoed);
    }

    [Fact]
    public async Task Concurrent_writes_arrive_whole_and_never_interleaved()
    {
        await using var server = await SessionEndpointServer.StartAsync(SessionEndpointServer.EchoAsync);
        using var timeout = new CancellationTokenSource(Patience);
        await using Stream tunnel = await server.OpenTunnelAsync(ct: timeout.Token);
        byte[][] blocks = [.. Enumerable.Range(1, 4).Select(i => Enumerable.Repeat((byte)i, 300_000).ToArray())];

        Task writing = Task.WhenAll(blocks.Select(block => Task.Run(() => tunnel.WriteAsync(block, timeout.Token).AsTask())));
        byte[] echoed = await ReadExactlyAsync(tunnel, blocks.Sum(b => b.Length), timeout.Token);
        await writing;

        byte[] order = [.. echoed.Chunk(300_000).Select(chunk => chunk[0])];
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, order.Order().ToArray());
        Assert.All(echoed.Chunk(300_000), chunk => Assert.All(chunk, b => Assert.Equal(chunk[0], b)));
    }

    [Fact]
    public async Task A_field_length_beyond_its_message_is_refused_rather_than_read_into_the_next_message()
    {
        await using var server = await SessionEndpointServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.StartAsync(context.RequestAborted);
            // Field 1 claiming 2^32 bytes in an 8-byte message, then a well-formed message.
            byte[] lying = [0x0A, 0x80, 0x80, 0x80, 0x80, 0x10, (byte)'a', (byte)'b'];
            await SessionEndpointServer.WriteMessageAsync(context.Response.Body, lying, context.RequestAborted);
            await SessionEndpointServer.WriteMessageAsync(context.Response.Body, SessionEndpointServer.Message([1, 2, 3]), context.RequestAborted);
            while (await SessionEndpointServer.ReadPayloadAsync(context.Request.Body, context.RequestAborted) is not null)
            {
            }
        });
        using var timeout = new CancellationTokenSource(Patience);
        await using Stream tunnel = await server.OpenTunnelAsync(ct: timeout.Token);

        var error = await Assert.ThrowsAsync<IOException>(async () => await ReadExactlyAsync(tunnel, 3, timeout.Token));

        Assert.Contains("malformed", error.Message);
    }

    [Theory]
    [InlineData(65_535)]
    [InlineData(Http2SessionCall.DefaultReceiveWindow)]
    public async Task A_five_mebibyte_payload_outgrows_the_flow_control_windows_both_ways(int receiveWindow)
    {
        await using var server = await SessionEndpointServer.StartAsync(SessionEndpointServer.EchoAsync, options =>
        {
            // Kestrel's smallest windows: our writes must wait for its WINDOW_UPDATEs many times over.
            options.Limits.Http2.InitialConnectionWindowSize = 65_535;
            options.Limits.Http2.InitialStreamWindowSize = 65_535;
        });
        using var timeout = new CancellationTokenSource(Patience);
        await using Stream tunnel = await server.OpenTunnelAsync(receiveWindow: receiveWindow, ct: timeout.Token);
        byte[] payload = Pattern(5 * 1024 * 1024, seed: 7);

        // Write and read at once: the echo only keeps going while we drain it.
        Task writing = tunnel.WriteAsync(payload, timeout.Token).AsTask();
        byte[] echoed = await ReadExactlyAsync(tunnel, payload.Length, timeout.Token);
        await writing;

        Assert.True(payload.AsSpan().SequenceEqual(echoed), "the echoed bytes differ from the written ones");
    }

    [Fact]
    public async Task The_server_ending_its_response_ends_our_reads()
    {
        await using var server = await SessionEndpointServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await SessionEndpointServer.WriteMessageAsync(context.Response.Body, SessionEndpointServer.Message("bye"u8.ToArray()), context.RequestAborted);
            context.Response.AppendTrailer("grpc-status", "0");
        });
        using var timeout = new CancellationTokenSource(Patience);
        await using Stream tunnel = await server.OpenTunnelAsync(ct: timeout.Token);

        byte[] last = await ReadExactlyAsync(tunnel, 3, timeout.Token);
        int afterEnd = await tunnel.ReadAsync(new byte[16], timeout.Token);

        Assert.Equal("bye"u8.ToArray(), last);
        Assert.Equal(0, afterEnd);
    }

    [Fact]
    public async Task A_stream_reset_by_the_server_fails_writes_naming_the_error_code()
    {
        await using var server = await SessionEndpointServer.StartAsync(async context =>
        {
            await SessionEndpointServer.ReadPayloadAsync(context.Request.Body, context.RequestAborted);
            context.Abort();
        });
        using var timeout = new CancellationTokenSource(Patience);
        await using Stream tunnel = await server.OpenTunnelAsync(ct: timeout.Token);

        await tunnel.WriteAsync("first"u8.ToArray(), timeout.Token);
        int read = await tunnel.ReadAsync(new byte[16], timeout.Token);
        IOException failure = await Assert.ThrowsAsync<IOException>(() => tunnel.WriteAsync("second"u8.ToArray(), timeout.Token).AsTask());

        Assert.Equal(0, read);
        Assert.Matches(@"reset the stream with [A-Z_]+ \(0x[0-9a-f]+\)", failure.Message);
    }

    [Fact]
    public async Task Disposing_the_tunnel_ends_the_servers_request_body()
    {
        var body = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await SessionEndpointServer.StartAsync(async context =>
        {
            try
            {
                var text = new System.Text.StringBuilder();
                while (await SessionEndpointServer.ReadPayloadAsync(context.Request.Body, context.RequestAborted) is { } payload)
                {
                    text.Append(System.Text.Encoding.ASCII.GetString(payload));
                }
                body.TrySetResult(text.ToString());
            }
            catch (Exception e)
            {
                body.TrySetException(e);
            }
        });
        using var timeout = new CancellationTokenSource(Patience);
        Stream tunnel = await server.OpenTunnelAsync(ct: timeout.Token);

        await tunnel.WriteAsync("last words"u8.ToArray(), timeout.Token);
        await tunnel.DisposeAsync();

        Assert.Equal("last words", await body.Task.WaitAsync(timeout.Token));
    }

    [Fact]
    public async Task Pings_from_the_server_are_answered_so_an_idle_tunnel_stays_open()
    {
        await using var server = await SessionEndpointServer.StartAsync(SessionEndpointServer.EchoAsync, options =>
        {
            // Kestrel closes the connection when a PING goes unanswered; its timer is coarse, so idle long enough.
            options.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(1);
            options.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(1);
            options.Limits.MinRequestBodyDataRate = null; // an idle tunnel is not a slow upload
        });
        using var timeout = new CancellationTokenSource(Patience);
        await using Stream tunnel = await server.OpenTunnelAsync(ct: timeout.Token);

        await Task.Delay(TimeSpan.FromSeconds(8), timeout.Token);
        await tunnel.WriteAsync("still here"u8.ToArray(), timeout.Token);

        Assert.Equal("still here"u8.ToArray(), await ReadExactlyAsync(tunnel, 10, timeout.Token));
    }

    [Fact]
    public async Task A_cancelled_read_throws_and_leaves_the_tunnel_usable()
    {
        await using var server = await SessionEndpointServer.StartAsync(SessionEndpointServer.EchoAsync);
        using var timeout = new CancellationTokenSource(Patience);
        await using Stream tunnel = await server.OpenTunnelAsync(ct: timeout.Token);

        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tunnel.ReadAsync(new byte[8], soon.Token).AsTask());
        }
        await tunnel.WriteAsync("after"u8.ToArray(), timeout.Token);

        Assert.Equal("after"u8.ToArray(), await ReadExactlyAsync(tunnel, 5, timeout.Token));
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken ct)
    {
        byte[] buffer = new byte[count];
        int total = 0;
        while (total < count)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(total), ct);
            Assert.True(read > 0, $"the tunnel ended after {total} of {count} bytes");
            total += read;
        }
        return buffer;
    }

    private static byte[] Pattern(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
