using System.Text.Json.Serialization;

namespace HybridBuild.Cli.Api;

/// <summary>The service's JSON conventions (camelCase, enums as camelCase strings, nulls left out), as the client reads and writes them.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = false,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return options;
    }
}
