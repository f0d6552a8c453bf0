namespace StChat.Messaging;

/// <summary>How a secret setting appears when an options object is printed, and how one is read from its file.</summary>
internal static class Secret
{
    public static string? Mask(string? secret) => secret is null ? null : "***";

    // The file's text without one trailing line break, as `echo secret > file` and Docker secrets leave it. The
    // validator has checked that the file can be read.
    public static string? FromFile(string? path)
    {
        if (path is null)
        {
            return null;
        }

        var text = File.ReadAllText(path);
        return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
    }
}
