using System.Text.Json.Serialization;

namespace StChat.Chat.Accounts;

internal sealed record Credentials(string? Name, string? Password);

internal sealed record AccountCreated(string Name);

internal sealed record SessionCreated(string Token, DateTimeOffset ExpiresAt, string Name);

internal sealed record Me(string Name, DateTimeOffset ExpiresAt);

internal sealed record DirectoryEntry(string Name, bool Online);

internal sealed record Directory(IReadOnlyList<DirectoryEntry> Users);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(Credentials))]
[JsonSerializable(typeof(AccountCreated))]
[JsonSerializable(typeof(SessionCreated))]
[JsonSerializable(typeof(Me))]
[JsonSerializable(typeof(Directory))]
internal sealed partial class AccountJsonContext : JsonSerializerContext;
