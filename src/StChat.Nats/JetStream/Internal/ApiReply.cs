using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace StChat.Nats.JetStream.Internal;

// Turns JetStream API replies into results or NatsJSApiException.
internal static class ApiReply
{
    // reply = "{" [ "error" ":" {"code":int,"err_code":int,"description":string} ] other-members "}"
    public static T Parse<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> typeInfo, string subject)
    {
        try
        {
            if (ReadError(json) is { } error)
            {
                throw ToException(error);
            }

            return JsonSerializer.Deserialize(json, typeInfo)
                ?? throw new NatsJSException($"The JetStream API replied to {subject} with null.");
        }
        catch (JsonException ex)
        {
            throw new NatsJSException($"The JetStream API reply to {subject} is not valid JSON: {ex.Message}", ex);
        }
    }

    // Finds the top-level "error" member without materialising the rest of the reply.
    public static ApiError? ReadError(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The reply is not a JSON object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isError = reader.ValueTextEquals("error"u8);
            reader.Read();
            if (isError && reader.TokenType == JsonTokenType.StartObject)
            {
                return JsonSerializer.Deserialize(ref reader, JetStreamJsonContext.Default.ApiError);
            }

            reader.Skip();
        }

        return null;
    }

    public static NatsJSApiException ToException(ApiError error) =>
        new(error.Code, error.ErrCode, error.Description ?? "");
}
