using System.Text.Json.Serialization;

namespace HybridBuild.Application.Contracts;

/// <summary>The API's JSON: camelCase, enums as camelCase strings, ISO 8601 times, nulls left out.</summary>
public static class ApiJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new ExactEnumConverterFactory());
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
    }

    public static readonly JsonSerializerOptions Options = Create(strict: false);

    /// <summary>For reading build specs: an unknown property is an error, so a typo is not silently ignored.</summary>
    public static readonly JsonSerializerOptions Strict = Create(strict: true);

    private static JsonSerializerOptions Create(bool strict)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options);
        if (strict) options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        return options;
    }
}
