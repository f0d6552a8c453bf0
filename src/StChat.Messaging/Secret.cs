namespace StChat.Messaging;

/// <summary>How a secret setting appears when an options object is printed.</summary>
internal static class Secret
{
    public static string? Mask(string? secret) => secret is null ? null : "***";
}
