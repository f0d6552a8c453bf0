namespace StChat.Nats.Tests.Integration;

// Every test publishes on its own subjects so tests never see each other's messages.
internal static class Subjects
{
    public static string Unique(string name) => $"test.{name}.{Guid.NewGuid():N}";
}
