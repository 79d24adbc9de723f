using System.Text.Json.Serialization;

namespace HybridBuild.Application.Contracts;

/// <summary>
/// Enums as one exact camelCase name (case-insensitive on read). JsonStringEnumConverter also reads comma lists
/// ("image, artifacts") and ORs them into a value nobody wrote (that one reads as image); here they are an error that
/// names the allowed values. Placed before JsonStringEnumConverter, which stays so that the OpenAPI document still
/// describes enums as strings.
/// </summary>
internal sealed class ExactEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(ExactEnumConverter<>).MakeGenericType(typeToConvert))!;
}

internal sealed class ExactEnumConverter<T> : JsonConverter<T> where T : struct, Enum
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return EnumNames<T>.TryParse(text, out var value)
            ? value
            : throw new JsonException($"The value must be one of: {EnumNames<T>.Allowed}.");
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(EnumNames<T>.NameOf(value) ?? throw new JsonException($"{typeof(T).Name} {value} has no name."));

    public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WritePropertyName(EnumNames<T>.NameOf(value) ?? throw new JsonException($"{typeof(T).Name} {value} has no name."));
}
