using System.Text.Json.Serialization;

namespace StChat.Chat;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.Strict,
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(ClientFrame))]
internal sealed partial class ChatJsonContext : JsonSerializerContext;
