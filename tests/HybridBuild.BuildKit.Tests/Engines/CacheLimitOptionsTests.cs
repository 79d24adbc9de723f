using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridBuild.BuildKit.Tests.Engines;

/// <summary>How Engine:Builders:N:CacheKeepStorageMiB and Engine:Native:CacheKeepStorageMiB become builders' cache limits, and which settings start-up refuses.</summary>
public sealed class CacheLimitOptionsTests
{
    [Fact]
    public async Task Each_pool_builder_carries_its_own_limit_and_one_without_a_size_has_none()
    {
        await using var services = Services(new()
        {
            ["Engine:Builders:0:Name"] = "bounded", ["Engine:Builders:0:Address"] = "unix:///run/a.sock",
            ["Engine:Builders:0:CacheKeepStorageMiB"] = "10240", ["Engine:Builders:0:CacheKeepFor"] = "2.00:00:00",
            ["Engine:Builders:1:Name"] = "unbounded", ["Engine:Builders:1:Address"] = "unix:///run/b.sock",
        });

        var builders = services.GetRequiredService<IBuilders>().All;

        Assert.Equal(new CacheLimit(10L << 30, TimeSpan.FromDays(2)), builders[0].Cache);
        Assert.Null(builders[1].Cache);
    }

    [Fact]
    public async Task The_default_builder_takes_its_limit_from_Engine_Native()
    {
        await using var services = Services(new() { ["Engine:Native:CacheKeepStorageMiB"] = "0" });

        Assert.Equal(new CacheLimit(0, null), Assert.Single(services.GetRequiredService<IBuilders>().All).Cache);
    }

    [Theory]
    [InlineData("Engine:Builders:0:CacheKeepStorageMiB", "-1")]
    [InlineData("Engine:Builders:0:CacheKeepFor", "-01:00:00")]
    [InlineData("Engine:Native:CacheKeepStorageMiB", "-1")]
    public async Task A_negative_size_or_keep_time_is_refused_naming_the_setting(string key, string value)
    {
        await using var services = Services(new()
        {
            ["Engine:Builders:0:Name"] = "one", ["Engine:Builders:0:Address"] = "unix:///run/a.sock", [key] = value,
        });

        var error = Assert.Throws<OptionsValidationException>(() => Validate(services));
        Assert.Contains(key[..key.LastIndexOf(':')], error.Message.Replace(":N:", ":0:"));
    }

    [Fact]
    public async Task A_native_cache_limit_with_the_buildx_engine_is_refused()
    {
        await using var services = Services(new() { ["Engine:Provider"] = "Buildx", ["Engine:Native:CacheKeepStorageMiB"] = "1024" });

        var error = Assert.Throws<OptionsValidationException>(() => Validate(services));
        Assert.Contains("Engine:Native:CacheKeepStorageMiB", error.Message);
    }

    private static void Validate(ServiceProvider services)
    {
        _ = services.GetRequiredService<IOptions<EngineOptions>>().Value;
        _ = services.GetRequiredService<IOptions<Native.NativeEngineOptions>>().Value;
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddHybridBuildEngine(configuration).BuildServiceProvider();
    }
}
