import CDCMTK
