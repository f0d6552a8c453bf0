namespace StChat.Nats.JetStream.Internal;

// Stream and consumer names become subject tokens of the API, so they must be single literal tokens.
internal static class ApiNames
{
    public static void Validate(string? name, string paramName, string kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, paramName);
        foreach (var c in name)
        {
            if (c is '.' or '*' or '>' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                throw new ArgumentException(
                    $"The {kind} name '{name}' is not valid: it must not contain '.', '*', '>' or whitespace.", paramName);
            }
        }
    }

    public static bool IsLiteralSubject(string subject) =>
        subject.AsSpan().IndexOfAny('*', '>') < 0 && !subject.AsSpan().ContainsAny(" \t\r\n");
}
