using System.Text.Json;

namespace StChat.Chat.Tests.Infrastructure;

public static class FrameExtensions
{
    public static string? Action(this JsonElement frame) => frame.Str("action");

    public static string? Str(this JsonElement frame, string name) =>
        frame.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long Seq(this JsonElement frame) => frame.GetProperty("seq").GetInt64();

    public static bool IsEvent(this JsonElement frame) => frame.Action() is "join" or "message" or "exit" or "member_added" or "member_removed";

    public static bool IsMessage(this JsonElement frame, string id) => frame.Action() == "message" && frame.Str("id") == id;
}
