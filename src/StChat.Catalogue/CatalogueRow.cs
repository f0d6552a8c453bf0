namespace StChat.Catalogue;

/// <summary>
/// One committed catalogue row, serialized once: the same bytes go to every socket that shows it and into API pages.
/// </summary>
internal readonly record struct CatalogueRow(long Seq, byte[] Json);
