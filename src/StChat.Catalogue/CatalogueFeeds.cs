namespace StChat.Catalogue;

// The catalogue tables that are readable by name in /api/feeds/{feed} and that appear as "type" in row frames.
internal static class CatalogueFeeds
{
    public const string SportEvent = "sport_event";
    public const string Execution = "execution";

    public static bool IsKnown(string feed) => feed is SportEvent or Execution;
}
