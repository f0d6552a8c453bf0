namespace StChat.Chat;

// PostgreSQL text cannot hold U+0000, and a string with an unpaired UTF-16 surrogate has no UTF-8 form at all; either
// makes the INSERT fail for good. JSON can carry both ("\u0000", "\ud800"), so they are refused where they come in.
internal static class StorableText
{
    public static bool IsValid(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
